"""`validate`: hierarchy files, manifests of any origin, and generated folders."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from acr_edge_cli.diagnostics import Diagnostic, Severity
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.errors import InputError
from acr_edge_cli.file_kinds import Kind, detect, forced, manifest_view
from acr_edge_cli.loader import load_file, parse_json, read_text, reread_json
from acr_edge_cli.loading import read_hierarchy, start_imports_while_parsing, wait_for_imports
from acr_edge_cli.output import OutputIndex, holds_index, read_index
from acr_edge_cli.placeholders import quote_bare_placeholders
from acr_edge_cli.rendering import Progress, rendering
from acr_edge_cli.rules.selection import DEFAULT, RuleSelection
from acr_edge_cli.workers import default_workers, in_chunks

if TYPE_CHECKING:
    from acr_edge_cli.proxyconfig import NginxTools


@dataclass
class ValidateResult:
    files: list[str] = field(default_factory=list)
    #: what each file was read as (file_kinds.FileKind.label), for the text report
    kinds: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: with collect_proxies: (file, manifest content, parent host) of every checked
    #: manifest, for `nginx -t` on what its API proxy would run
    collect_proxies: bool = False
    proxies: list[tuple[str, Any, str | None]] = field(default_factory=list)


def _read(path: Path, display: str) -> tuple[SourceDocument, bool]:
    """A file as data, and whether it only parsed once its bare `${NAME}` template tokens
    (`"timeToLiveSecs": ${TTL}`) were read as strings: then it is a template."""
    try:
        return load_file(path, display), False
    except InputError as original:
        if path.suffix.lower() != ".json":
            raise
        text = read_text(path, display)
        quoted = quote_bare_placeholders(text)
        if quoted == text:
            raise
        try:
            document = parse_json(quoted, display)
        except InputError:
            raise original from None
        return dataclasses.replace(document, text=text), True


def _validate_hierarchy(
    document: SourceDocument,
    environ: Mapping[str, str],
    rules: RuleSelection,
    result: ValidateResult,
    progress: Progress | None,
) -> None:
    from acr_edge_cli.rules import engine

    loaded = read_hierarchy(document, environ=environ)
    display = document.path
    with rendering(
        loaded,
        manifest_file=lambda relative: f"{display}#{relative}",
        rules=rules,
        progress=progress,
    ) as results:
        # Checked while the workers render.
        result.diagnostics.extend(engine.check_hierarchy(loaded.document, loaded.plan, rules=rules))
        for manifest, findings in results:
            result.diagnostics.extend(findings)
            if result.collect_proxies:
                parent = manifest.device.parent
                host = (parent.device.hostname or parent.id) if parent else None
                content = orjson.loads(manifest.data)
                result.proxies.append((f"{display}#{manifest.path}", content, host))


@dataclass(frozen=True)
class _FilesJob:
    paths: list[Path]
    rules: RuleSelection


def _check_manifest_files(job: _FilesJob, start: int, stop: int) -> list[list[Diagnostic]]:
    """The findings of each of paths[start:stop], read and checked as manifests."""
    from acr_edge_cli.rules import engine

    found = []
    for path in job.paths[start:stop]:
        try:
            document = load_file(path, str(path))
        except InputError as error:
            found.append(list(error.diagnostics))
            continue
        found.append(engine.check_manifest(document, rules=job.rules, in_folder=True))
    return found


def _validate_output(
    folder: Path,
    index: OutputIndex,
    result: ValidateResult,
    rules: RuleSelection,
    progress: Progress | None,
) -> None:
    """A generated folder: each manifest, then the hierarchy rules read off the manifests.

    Large folders are checked by forked workers, manifest by manifest, while this process
    reads every manifest again for the rules that look across them (reading is a tenth of
    checking).
    """
    from acr_edge_cli.rules import engine
    from acr_edge_cli.rules.contexts import ManifestContext, OutputContext, OutputDevice

    entries = index.devices
    paths = [index.path(entry.manifest or "") for entry in entries]
    devices: list[OutputDevice] = []
    job = _FilesJob(paths, rules)
    workers = default_workers(len(paths))
    with in_chunks(
        _check_manifest_files, job, len(paths), workers, before_fork=wait_for_imports
    ) as batches:
        checked = (findings for batch in batches for findings in batch)
        for done, (entry, path, findings) in enumerate(
            zip(entries, paths, checked, strict=True), start=1
        ):
            if progress is not None and (done % 256 == 0 or done == len(paths)):
                progress(done, len(paths))
            result.files.append(str(path))
            result.diagnostics.extend(findings)
            if any(finding.rule == "input" for finding in findings):
                continue  # unreadable, and reported
            try:
                document = reread_json(path, str(path))
            except InputError:
                continue  # changed since the check read it
            if result.collect_proxies:
                result.proxies.append((str(path), document.data, entry.parent))
            context = ManifestContext(document)
            context.all_modules()  # for check_output, made while the workers still check
            devices.append(
                OutputDevice(
                    id=entry.id,
                    parent=entry.parent,
                    layer=entry.layer,
                    index_path=("devices", entry.position),
                    manifest=context,
                )
            )
    result.diagnostics.extend(
        engine.check_output(OutputContext(index.document, tuple(devices)), rules=rules)
    )


#: A YAML file in a folder is taken for a hierarchy when it has the format's top-level keys.
_HIERARCHY_KEYS = re.compile(r"^devices:", re.MULTILINE)
_HIERARCHY_MARK = re.compile(r"^cloud_registry:", re.MULTILINE)


def _looks_like_hierarchy(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # let the reader report it
    return bool(_HIERARCHY_KEYS.search(text) and _HIERARCHY_MARK.search(text))


def _walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """In a folder: the folders acr-edge generated (checked by their index.json, not
    entered), then every other `*.json`, and the YAML files that are hierarchies (other
    YAML, a CI pipeline say, is not ours to judge)."""
    generated: list[Path] = []
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        if holds_index(here):
            generated.append(here)
            dirs.clear()
            continue
        dirs.sort()
        for name in sorted(names):
            path = here / name
            suffix = path.suffix.lower()
            if suffix == ".json" or (suffix in (".yaml", ".yml") and _looks_like_hierarchy(path)):
                files.append(path)
    return generated, files


def validate_paths(
    paths: Collection[Path],
    *,
    environ: Mapping[str, str],
    rules: RuleSelection = DEFAULT,
    collect_proxies: bool = False,
    import_meanwhile: Collection[str] = (),
    progress: Progress | None = None,
    kind: Kind | None = None,
) -> ValidateResult:
    """Check hierarchy files, manifests and folders; an unreadable file does not stop the rest.

    Each file is checked as what it is (file_kinds.detect), or as `kind` when given.

    With `collect_proxies`, the result keeps each manifest for check_proxies_with_nginx.
    `import_meanwhile`: as for load_hierarchy (when a hierarchy file is among the paths).
    `progress(done, total)` is called as a hierarchy's or a folder's devices are checked.
    """
    from acr_edge_cli.rules import engine

    result = ValidateResult(collect_proxies=collect_proxies)
    if any(path.suffix.lower() != ".json" and not path.is_dir() for path in paths):
        start_imports_while_parsing(import_meanwhile)  # a hierarchy file
    queue: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        if not path.is_dir():
            queue.append(path)
            continue
        generated, files = _walk(path)
        folders += generated
        queue += files
    for folder in folders:
        try:
            index = read_index(folder)
        except InputError as error:
            result.diagnostics.extend(error.diagnostics)
            continue
        if index is not None and index.as_bundles:
            result.diagnostics.append(
                index.document.diagnostic(
                    (),
                    "device bundles (acr-edge bundle): no manifest to check",
                    severity=Severity.INFO,
                )
            )
        elif index is not None and index.as_configurations:
            queue.extend(index.path(c.file) for c in index.configurations)
        elif index is not None:
            _validate_output(folder, index, result, rules, progress)
    configurations: list[SourceDocument] = []
    for path in queue:
        display = str(path)
        result.files.append(display)
        try:
            document, template_text = _read(path, display)
            if kind is not None:
                found = forced(kind, path, document.data)
            else:
                found = detect(path, document.data, template_text=template_text)
            result.kinds[display] = found.label
            if found.kind is Kind.OTHER:
                result.diagnostics.append(
                    document.diagnostic((), f"{found.other}: skipped", severity=Severity.INFO)
                )
            elif found.kind is Kind.CONFIGURATION:
                configurations.append(document)  # checked together: one hub's set
            elif found.kind is Kind.HIERARCHY:
                _validate_hierarchy(document, environ, rules, result, progress)
            else:
                result.diagnostics.extend(engine.check_file(document, found, rules=rules))
                if result.collect_proxies and not found.layered:
                    content = manifest_view(document, found).data
                    # a lower-layer manifest names no parent: edgeAgent would fill it in
                    lower = "$upstream" in orjson.dumps(content).decode()
                    result.proxies.append((display, content, "parent.invalid" if lower else None))
        except InputError as error:
            result.diagnostics.extend(error.diagnostics)
    for position, document in enumerate(configurations):
        result.diagnostics.extend(
            engine.check_configuration(
                document, position=position, total=len(configurations), rules=rules
            )
        )
    result.diagnostics.sort()
    return result


def check_proxies_with_nginx(
    result: ValidateResult, tools: NginxTools, rules: RuleSelection = DEFAULT
) -> list[Diagnostic]:
    """The nginx rule (`nginx -t`) on the configuration each checked manifest's API proxy
    would run."""
    from acr_edge_cli.rules import engine

    findings = []
    for file, content, parent in result.proxies:
        findings += engine.check_nginx(file, content, parent, tools, rules=rules)
    return findings
