"""Turn diagnostics and results into output: text (rich), json, sarif, github.

The only module that imports rich. Text goes to a Console made for the run; machine formats
return strings, so they can be tested without a terminal.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from acr_edge_cli import __version__
from acr_edge_cli.diagnostics import Diagnostic, Severity, count_by_severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_FIX = re.compile(r"\bFix: (.*)$")


def make_console(stream: TextIO | None = None, *, stderr: bool = False) -> Console:
    # markup off: `modules[0]` in a message is text, not a style tag; soft_wrap: a line
    # is never broken in the middle of a path, whatever the terminal width.
    # NO_COLOR (no-color.org): plain text, bold and underline too, not just no colours.
    plain = "NO_COLOR" in os.environ
    return Console(
        file=stream,
        stderr=stderr,
        markup=False,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        color_system=None if plain else "auto",
    )


def summary(diagnostics: Sequence[Diagnostic], files: int) -> dict[str, int]:
    counts = count_by_severity(diagnostics)
    return {
        "files": files,
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "infos": counts[Severity.INFO],
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    counts = summary(diagnostics, files)
    return (
        f"{_plural(counts['errors'], 'error')}, {_plural(counts['warnings'], 'warning')}, "
        f"{_plural(counts['infos'], 'info')} in {_plural(files, 'file')}"
    )


def fix_of(explanation: str) -> str | None:
    match = _FIX.search(explanation)
    return match.group(1) if match else None


def print_diagnostics(
    console: Console,
    diagnostics: Sequence[Diagnostic],
    explain: Callable[[str], str | None] = lambda rule: None,
    kinds: Mapping[str, str] | None = None,
) -> None:
    """Findings grouped by file, each with line:column; a rule's fix under its first hit.

    `kinds`: what each file was read as; shown beside its name unless it is the plain
    manifest or hierarchy its extension suggests."""
    explained: set[str] = set()
    lines: list[tuple[tuple[str, str], ...]] = []  # each line: its (text, style) pieces
    # On a terminal long findings wrap under their own column; elsewhere (CI logs, files)
    # each stays one line, for grep.
    width = console.width if console.is_terminal else None
    for file, group in groupby(sorted(diagnostics), key=lambda d: d.file):
        kind = (kinds or {}).get(file)
        if kind in (None, "manifest", "hierarchy"):
            lines.append(((file, "bold underline"),))
        else:
            lines.append(((file, "bold underline"), (f" ({kind})", "dim")))
        for diagnostic in group:
            where = f"{diagnostic.line}:{diagnostic.column}" if diagnostic.line else "-"
            message = _wrapped(f"{diagnostic.message}  [{diagnostic.rule}]", width, 20)
            text, _, rule = message.rpartition(f"[{diagnostic.rule}]")
            lines.append(
                (
                    (f"  {where:<8} ", ""),
                    (f"{diagnostic.severity.label:<8}", _STYLE[diagnostic.severity]),
                    (f" {text}", ""),
                    (f"[{diagnostic.rule}]{rule}", "dim"),
                )
            )
            if diagnostic.rule not in explained:
                explained.add(diagnostic.rule)
                fix = explain(diagnostic.rule)
                if fix:
                    lines.append(((_wrapped(f"           fix: {fix}", width, 16), "dim"),))
    if not lines:
        return
    if console.color_system is None:
        # Nothing to style (not a terminal, or NO_COLOR): one plain text skips rich's cost
        # per styled piece (10,000 findings: 1.7 s -> 0.4 s).
        console.out("\n".join("".join(text for text, _ in line) for line in lines), highlight=False)
    else:
        # One print: rich's cost per call made 10,000 findings take seconds to show.
        console.print(Text("\n").join(Text.assemble(*line) for line in lines))


def print_input_errors(console: Console, diagnostics: Iterable[Diagnostic]) -> None:
    """Input errors as compilers print them: one line each, `file:line:col: error: message`."""
    for diagnostic in diagnostics:
        text = diagnostic.one_line().removesuffix(f" [{diagnostic.rule}]")
        console.print(Text(text))


def json_report(diagnostics: Sequence[Diagnostic], files: int, **extra: Any) -> str:
    document: dict[str, Any] = {"version": 1, **extra}
    document["diagnostics"] = [d.to_json() for d in sorted(diagnostics)]
    document["summary"] = summary(diagnostics, files)
    return json.dumps(document, indent=2, ensure_ascii=False)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_report(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for diagnostic in sorted(diagnostics):
        file, _, inner = diagnostic.file.partition("#")
        properties = [f"file={_github_escape(file, property_value=True)}"]
        message = diagnostic.message
        if inner:  # a finding in a manifest rendered in memory: no line in the file
            message = f"{inner}: {message}"
        elif diagnostic.line is not None:
            properties.append(f"line={diagnostic.line}")
            if diagnostic.column is not None:
                properties.append(f"col={diagnostic.column}")
        properties.append(f"title={_github_escape(diagnostic.rule, property_value=True)}")
        lines.append(
            f"::{command[diagnostic.severity]} {','.join(properties)}::{_github_escape(message)}"
        )
    return "\n".join(lines)


def sarif_report(diagnostics: Sequence[Diagnostic], rules: Sequence[Any]) -> str:
    """SARIF 2.1.0, as GitHub code scanning loads it."""
    descriptors = [
        {
            "id": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.explanation},
            "help": {"text": rule.explanation},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        }
        for rule in rules
    ]
    descriptors.append(
        {
            "id": "input",
            "shortDescription": {"text": "the file cannot be read as YAML, JSON or the format"},
            "defaultConfiguration": {"level": "error"},
        }
    )
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for diagnostic in sorted(diagnostics):
        file, _, inner = diagnostic.file.partition("#")
        location: dict[str, Any] = {"artifactLocation": {"uri": file}}
        message = diagnostic.message
        if inner:
            message = f"{inner}: {message}"
        elif diagnostic.line is not None:
            region = {"startLine": diagnostic.line}
            if diagnostic.column is not None:
                region["startColumn"] = diagnostic.column
            location["region"] = region
        result: dict[str, Any] = {
            "ruleId": diagnostic.rule,
            "level": _SARIF_LEVEL[diagnostic.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": location}],
        }
        if diagnostic.rule in index:
            result["ruleIndex"] = index[diagnostic.rule]
        if diagnostic.pointer:
            result["properties"] = {"pointer": diagnostic.pointer}
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "acr-edge",
                        "version": __version__,
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def print_rules(console: Console, rules: Sequence[Any]) -> None:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("checks")
    table.add_column("fires when")
    for rule in rules:
        table.add_row(rule.name, rule.severity.label, ", ".join(rule.scopes), rule.summary)
    console.print(table)


def print_rule_explanations(console: Console, rules: Sequence[Any]) -> None:
    width = console.width if console.is_terminal else None
    for rule in rules:
        console.print(Text(f"{rule.name} ({rule.severity.label})", style="bold"))
        console.print(Text(_wrapped(f"  {rule.explanation}", width, 2)))
        console.print()


def _wrapped(text: str, width: int | None, indent: int) -> str:
    """`text` broken at spaces to `width` columns (its first line starting `indent`
    columns in, as the following lines do); never inside a word, a path or a URL."""
    if width is None or indent + len(text) <= width:
        return text
    import textwrap

    lines = textwrap.wrap(
        text,
        width=max(width - indent, 20),
        break_long_words=False,
        break_on_hyphens=False,
        subsequent_indent="",
    )
    return ("\n" + " " * indent).join(lines)


_STATE_STYLE = {
    "applied": "green",
    "unchanged": "dim",
    "changed": "yellow",
    "new": "cyan",
    "failed": "bold red",
    "skipped": "red",
    "interrupted": "bold yellow",
    "tagged": "green",
    "created": "green",
    "updated": "green",
    "removed": "yellow",
}


class DeployProgress:
    """A progress bar per layer while a deployment runs (only on a terminal)."""

    def __init__(self, console: Console, layers: dict[int, int]) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("layer {task.fields[layer]}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.tasks = {
            layer: self.progress.add_task("", total=count, layer=layer)
            for layer, count in sorted(layers.items())
        }

    def __enter__(self) -> DeployProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def advance(self, layer: int) -> None:
        self.progress.advance(self.tasks[layer])


#: Above this many devices, the table lists only those that need a look.
FULL_TABLE_LIMIT = 50
_ROUTINE = {"applied", "unchanged", "tagged", "created", "updated", "removed"}


def print_deploy_result(console: Console, result: Any) -> None:
    """The diffs of a dry run, a table (for a large fleet, only the devices that need a
    look), and a summary line."""
    for outcome in result.outcomes:
        if result.dry_run and outcome.diff:
            console.print(Text(f"{outcome.id}: {outcome.state}", style=_STATE_STYLE[outcome.state]))
            console.print(Text(outcome.diff.rstrip("\n")))
    rows = result.outcomes
    if len(rows) > FULL_TABLE_LIMIT:
        rows = [o for o in rows if o.state not in _ROUTINE]
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("device", "layer", "state", "calls", "detail"):
        table.add_column(column)
    for outcome in rows:
        table.add_row(
            outcome.id,
            str(outcome.layer),
            Text(outcome.state, style=_STATE_STYLE[outcome.state]),
            str(outcome.attempts),
            outcome.message,
        )
    if rows:
        console.print(table)
    counts = {state: n for state, n in result.counts().items() if n}
    prefix = "dry run: " if result.dry_run else ""
    console.print(prefix + ", ".join(f"{n} {state}" for state, n in counts.items()))


def deploy_json(result: Any) -> str:
    return json.dumps(
        {
            "version": 1,
            "dry_run": result.dry_run,
            "devices": [o.to_json() for o in result.outcomes],
            "summary": result.counts(),
        },
        indent=2,
        ensure_ascii=False,
    )


def print_graph_tree(console: Console, nodes: Sequence[Any], cloud: str) -> None:
    """The hierarchy as a tree: device, layer, registry and mode, repositories, proxy port."""
    from rich.tree import Tree

    root = Tree(Text(f"{cloud} (cloud registry)", style="bold"))
    branches: dict[str, Tree] = {}
    for node in nodes:
        parent = branches[node.parent] if node.parent else root
        label = Text(node.id, style="bold")
        label.append(f"  layer {node.layer}", style="dim")
        if node.proxy_port is not None:
            label.append(f"  API proxy :{node.proxy_port}")
        branch = parent.add(label)
        if node.registry:
            registry = branch.add(Text(f"registry {node.registry}", style="cyan"))
            for repository in node.repositories:
                registry.add(Text(repository, style="dim"))
        branches[node.id] = branch
    console.print(root)


def rules_markdown(rules: Sequence[Any]) -> str:
    """The catalog as Markdown, from the rule modules themselves (docs/rules.md)."""
    scopes = {
        "manifest": "Manifest rules (any deployment manifest, generated or hand-written)",
        "hierarchy": "Hierarchy rules (hierarchy files and generated folders)",
        "configuration": "Deployment-configuration rules (`generate --as configurations`)",
        "nginx": "Rules that run programs (`validate --nginx`)",
    }
    lines = [
        "# Rules",
        "",
        "Generated by `acr-edge rules --format markdown` from the rule modules in",
        "`acr_edge_cli/rules/`; a test keeps this file in step with them. Disable a rule with",
        "`--disable NAME`; `acr-edge rules NAME` prints one in the terminal.",
    ]
    for scope, title in scopes.items():
        lines += ["", f"## {title}", ""]
        for rule in rules:
            if rule.scopes[0] != scope:
                continue
            also = [s for s in rule.scopes[1:]]
            lines.append(f"### `{rule.name}` ({rule.severity.label})")
            lines.append("")
            lines.append(
                f"Fires when {rule.summary}."
                + (f" Also checks: {', '.join(also)}." if also else "")
            )
            lines.append("")
            lines.append(rule.explanation)
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def status_json(result: Any) -> str:
    return json.dumps(
        {
            "version": 1,
            "converged": result.ok,
            "devices": [d.to_json() for d in result.devices],
            "deployments": [d.to_json() for d in result.deployments],
            "summary": {
                "devices": len(result.devices),
                "converged": sum(1 for d in result.devices if d.ok)
                + sum(1 for d in result.deployments if d.ok),
                "not_converged": sum(1 for d in result.devices if not d.ok)
                + sum(1 for d in result.deployments if not d.ok),
                "waited_s": round(result.waited, 1),
            },
        },
        indent=2,
        ensure_ascii=False,
    )


def print_status(console: Console, result: Any, hub: str) -> None:
    """The devices as a tree (each with what is wrong), or the automatic deployments."""
    from rich.tree import Tree

    def mark(ok: bool) -> Text:
        return Text("ok  " if ok else "NOT ", style="green" if ok else "bold red")

    if result.deployments:
        for deployment in result.deployments:
            line = mark(deployment.ok)
            line.append(deployment.id, style="bold")
            line.append(
                f"  targeted {deployment.targeted}, applied {deployment.applied}, "
                f"succeeded {deployment.succeeded}, failed {deployment.failed}"
                if deployment.deployed
                else "  not in IoT Hub: deploy it first"
            )
            console.print(line)
    root = Tree(Text(hub, style="bold"))
    branches: dict[str, Any] = {}
    for device in result.devices:
        parent = branches.get(device.parent or "", root)
        label = mark(device.ok)
        label.append(device.id, style="bold")
        label.append(f"  layer {device.layer}", style="dim")
        if device.ok:
            label.append(f"  version {device.applied_version}", style="dim")
            if device.registry:
                registry = device.registry
                label.append(
                    f"  registry {registry['name']} {registry['connection_state']}", style="dim"
                )
        branch = parent.add(label)
        for reason in device.reasons:
            branch.add(Text(reason, style="yellow"))
        branches[device.id] = branch
    if result.devices:
        console.print(root)
    total = len(result.devices) + len(result.deployments)
    good = sum(1 for d in [*result.devices, *result.deployments] if d.ok)
    waited = f" after {result.waited:.0f} s" if result.waited else ""
    console.print(f"{good} of {total} converged{waited}")


class FleetProgress:
    """A progress bar while a large fleet is rendered and checked (generate, validate): only
    on a terminal, and only for fleets big enough to wait for. Its `update(done, total)` is
    what the library calls back."""

    #: Fewer devices than this finish before a bar would be worth drawing.
    THRESHOLD = 1000

    def __init__(self, console: Console, what: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn(what),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("devices"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: Any = None

    def __enter__(self) -> FleetProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.progress.stop()

    def update(self, done: int, total: int) -> None:
        if total < self.THRESHOLD:
            return
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("", total=total)
        self.progress.update(self.task, completed=done)


_PROVISION_STYLE = {
    "create": "green",
    "update": "yellow",
    "unchanged": "dim",
    "failed": "bold red",
    "skipped": "red",
}


def _provision_detail(action: Any) -> str:
    """What differs, briefly: `schedule: * * * * * -> 0 */4 * * *`, `actions: +12`."""
    if action.error:
        return str(action.error)
    parts = []
    for name, change in action.changes.items():
        if name == "actions":
            parts.append(f"actions: +{len(change['add'])}")
        elif name == "secret":
            parts.append(f"new password -> {change}")
        elif isinstance(change, dict) and "to" in change:
            before = "-" if change["from"] is None else change["from"]
            parts.append(f"{name}: {before} -> {change['to']}")
    return "; ".join(str(p) for p in parts)


def print_provision(console: Console, result: Any) -> None:
    """One row per resource that is not unchanged, then a summary line."""
    rows = [a for a in result.actions if a.action != "unchanged"]
    if rows:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        for column in ("action", "resource", "name", "parent", "detail"):
            table.add_column(column)
        for action in rows:
            table.add_row(
                Text(action.action, style=_PROVISION_STYLE[action.action]),
                action.resource.kind,
                action.resource.name,
                action.resource.parent or "",
                _provision_detail(action),
            )
        console.print(table)
    counts = result.summary()
    if not result.applied:
        pending = counts["create"] + counts["update"]
        line = f"plan: {counts['create']} to create, {counts['update']} to update, "
        line += f"{counts['unchanged']} unchanged"
        if counts["failed"] or counts["skipped"]:
            line += f", {counts['failed']} failed, {counts['skipped']} skipped"
        console.print(line if pending or rows else "plan: nothing to change")
        return
    if not rows:
        console.print(f"nothing changed: all {counts['unchanged']} resources match the file")
        return
    console.print(", ".join(f"{n} {name}" for name, n in counts.items() if n))


def provision_json(result: Any) -> str:
    return json.dumps(
        {
            "version": 1,
            "applied": result.applied,
            "actions": [a.as_json() for a in result.actions],
            "summary": result.summary(),
        },
        indent=2,
        ensure_ascii=False,
    )


def print_provision_progress(console: Console, done: int, total: int, action: Any) -> None:
    """One line on stderr per resource an apply changes (or fails), as it happens."""
    line = Text(f"[{done}/{total}] ")
    line.append(action.action, style=_PROVISION_STYLE[action.action])
    line.append(f" {action.resource.kind} {action.resource.name}")
    console.print(line)
