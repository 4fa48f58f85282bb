"""Apply a generated folder to IoT Hub, device by device, parents before children.

IoT Hub itself is reached through iothub.HubClient (retries, the rate cap, the deadline and
what errors mean live there and in calls.py); this module decides what to send, in which
order, and what each device's outcome is.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acr_edge_cli.calls import CallError
from acr_edge_cli.diagnostics import Diagnostic, JsonPath, Severity
from acr_edge_cli.errors import InputError, UsageError
from acr_edge_cli.iothub import HubClient, HubError
from acr_edge_cli.loader import parse_json
from acr_edge_cli.output import INDEX_NAME, OutputIndex, read_index
from acr_edge_cli.secrets import SecretPlaces, mask, resolve_places

STATES = (
    "applied",
    "unchanged",
    "changed",
    "new",
    "failed",
    "skipped",
    "interrupted",
    # at-scale mode: device tags and automatic deployments
    "tagged",
    "created",
    "updated",
    "removed",
)


@dataclass(frozen=True)
class Target:
    """One device to deploy: its manifest with every ${NAME} resolved."""

    id: str
    parent: str | None
    layer: int
    manifest: str
    content: dict[str, Any]
    secrets: frozenset[str] = frozenset()  # the values resolved into it, masked when shown


@dataclass
class Outcome:
    id: str
    layer: int
    state: str
    message: str = ""
    attempts: int = 0
    diff: str = ""

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.id,
            "layer": self.layer,
            "state": self.state,
            "attempts": self.attempts,
        }
        if self.message:
            record["message"] = self.message
        if self.diff:
            record["diff"] = self.diff
        return record


@dataclass
class DeployResult:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(o.state in ("failed", "skipped") for o in self.outcomes)

    def pending(self) -> int:
        """In a dry run: how many devices or deployments would change."""
        return sum(1 for o in self.outcomes if o.state in ("changed", "new"))

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for o in self.outcomes if o.state == state) for state in STATES}


# --- reading OUT ---------------------------------------------------------------------------


def _index(out: Path) -> OutputIndex:
    """The checked index of a generated folder; a clear input error for anything else."""
    if out.is_file():
        raise UsageError(
            f"{out} is a file; deploy takes the folder `acr-edge generate` wrote "
            f"(acr-edge generate {out} -o out, then acr-edge deploy out)"
        )
    if not out.is_dir():
        raise UsageError(f"{out}: no such folder")
    index = read_index(out)
    if index is None:
        raise UsageError(
            f"{out}: no {INDEX_NAME}; deploy takes a folder written by acr-edge generate"
        )
    if index.as_bundles:
        raise UsageError(
            f"{out}: holds device bundles (acr-edge bundle), not manifests; deploy takes a "
            "folder written by acr-edge generate"
        )
    if index.order_problems:  # a device applied twice, or before its parent
        raise InputError(index.order_problems)
    return index


#: A file an index lists: relative path, SHA-256, secret places, where the index names it.
Listed = tuple[str, "str | None", SecretPlaces, JsonPath]


def _load_checked(
    index: OutputIndex, listed: list[Listed], environ: Mapping[str, str]
) -> list[tuple[Any, frozenset[str]]]:
    """Each listed file as generated, with the secrets at its recorded places resolved and
    nothing else (a literal `${X}` elsewhere is sent as written), and the values resolved.
    A file changed since it was generated is refused, and every unset variable of every
    file is named, before anything is sent."""
    loaded = []
    problems: list[Diagnostic] = []
    for relative, digest, places, where in listed:
        path = index.path(relative)
        try:
            data = index.read(relative)
        except OSError as error:
            message = f"{relative}: cannot read it ({error.strerror})"
            problems.append(index.document.diagnostic(where, message))
            continue
        except ValueError as error:
            problems.append(index.document.diagnostic(where, str(error)))
            continue
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            message = (
                f"{relative} changed since acr-edge generate wrote it (its SHA-256 differs "
                "from index.json); generate again rather than edit generated files"
            )
            problems.append(index.document.diagnostic(where, message))
            continue
        content = parse_json(data.decode("utf-8", errors="replace"), str(path)).data
        try:
            resolved, unset, used = resolve_places(content, places, environ)
        except LookupError:
            message = f"{relative}: its secrets are not where index.json says"
            problems.append(index.document.diagnostic(where, message))
            continue
        problems.extend(
            Diagnostic(
                str(path), None, None, "input", Severity.ERROR,
                f"environment variable {name} is not set (referenced as ${{{name}}})",
            )
            for name in sorted(unset)
        )  # fmt: skip
        loaded.append((resolved, frozenset(used)))
    if problems:
        raise InputError(problems)
    return loaded


def load_targets(out: Path, environ: Mapping[str, str], only: Collection[str] = ()) -> list[Target]:
    """The devices of a generated folder, parents first, with secrets resolved.

    Every unset variable is named before anything is sent (an input error, exit 2).
    """
    index = _index(out)
    if index.as_configurations:
        raise UsageError(f"{out} holds automatic deployments, not per-device manifests")
    known = [d.id for d in index.devices]
    problems = [
        index.document.diagnostic(
            ("devices",), f"no device {name!r} in this output{_did_you_mean(name, known)}"
        )
        for name in sorted(set(only) - set(known))
    ]
    if problems:
        raise InputError(problems)
    selected = [d for d in index.devices if not only or d.id in only]
    listed: list[Listed] = [
        (d.manifest or "", d.sha256, [(p, list(n)) for p, n in d.secrets], ("devices", d.position))
        for d in selected
    ]
    targets = [
        Target(d.id, d.parent, d.layer, str(index.path(d.manifest or "")), content, used)
        for d, (content, used) in zip(selected, _load_checked(index, listed, environ), strict=True)
    ]
    return sorted(targets, key=lambda t: t.layer)


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _diff(module: str, current: Any, wanted: Any, secrets: Collection[str]) -> str:
    def lines(value: Any) -> list[str]:
        if value is None:
            return []
        shown = mask(value, values=secrets)
        return json.dumps(shown, indent=2, sort_keys=True).splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(lines(current), lines(wanted), f"hub/{module}", f"manifest/{module}")
    )


# --- the run --------------------------------------------------------------------------------


def _preflight(
    targets: list[Target], client: HubClient, concurrency: int
) -> dict[str, tuple[str, int]]:
    """Problems found before anything is changed: device id -> (message, attempts)."""
    devices: dict[str, dict[str, Any] | None] = {}
    attempts: dict[str, int] = {}
    unanswered: dict[str, str] = {}  # the hub did not say, even after retries

    def fetch(target: Target) -> None:
        try:
            devices[target.id], attempts[target.id] = client.device(target.id)
        except CallError as error:
            if error.status is None and not devices:
                raise HubError(str(error)) from None
            attempts[target.id] = error.attempts
            unanswered[target.id] = f"could not read the device from IoT Hub: {error}"

    first, rest = targets[:1], targets[1:]
    for target in first:  # a wrong hub or key shows on the first call: stop there
        fetch(target)
    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        list(pool.map(fetch, rest))
    problems: dict[str, tuple[str, int]] = {}
    for target in targets:
        device = devices.get(target.id)
        if target.id in unanswered:
            problems[target.id] = (unanswered[target.id], attempts[target.id])
        elif device is None:
            problems[target.id] = (
                f"device {target.id!r} is not registered in IoT Hub; create it: az iot hub "
                f"device-identity create --hub-name {client.hub_name} --device-id {target.id} "
                "--edge-enabled",
                attempts.get(target.id, 0),
            )
        elif not device["edge"]:
            problems[target.id] = (
                f"device {target.id!r} is not IoT Edge-enabled in IoT Hub; recreate it "
                "with --edge-enabled",
                attempts[target.id],
            )
        elif target.parent is not None:
            parent = devices.get(target.parent)
            if parent is not None and parent["scope"] not in device["parent_scopes"]:
                problems[target.id] = (
                    f"device {target.id!r} does not have {target.parent!r} as its parent in IoT "
                    f"Hub; set it: az iot hub device-identity parent set --hub-name "
                    f"{client.hub_name} --device-id {target.id} --parent-device-id {target.parent}",
                    attempts[target.id],
                )
        elif device["parent_scopes"]:
            problems[target.id] = (
                f"device {target.id!r} is a top-layer device but has a parent in IoT Hub",
                attempts[target.id],
            )
    return problems


def _compare(target: Target, client: HubClient, *, full: bool) -> tuple[str, str, int]:
    """(state, masked diff, calls) of what the hub holds against the manifest.

    $edgeAgent is read first; unless `full` (a dry run, which shows every diff), the first
    twin that differs settles it: the device is applied whole anyway.
    """
    calls = 0
    diffs = []
    never_deployed = True
    for module, twin in target.content["modulesContent"].items():
        current, attempts = client.desired(target.id, module)
        calls += attempts
        wanted = twin.get("properties.desired")
        if current:
            never_deployed = False
        if current != wanted:
            diffs.append(_diff(module, current, wanted, target.secrets))
            if not full:
                break
    if not diffs:
        return "unchanged", "", calls
    return ("new" if never_deployed else "changed"), "".join(diffs), calls


def deploy(
    targets: list[Target],
    client: HubClient,
    *,
    dry_run: bool = False,
    force: bool = False,
    concurrency: int = 8,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> DeployResult:
    """Deploy layer by layer; a layer starts when its parents are done, a failed device's
    descendants are skipped, the rest go on."""
    result = DeployResult(dry_run)
    problems = _preflight(targets, client, concurrency)
    broken: set[str] = set()
    started: set[str] = set()
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        with lock:
            result.outcomes.append(outcome)
            if outcome.state in ("failed", "skipped"):
                broken.add(outcome.id)
        on_outcome(outcome)

    def run(target: Target) -> None:
        with lock:
            started.add(target.id)
        if target.parent in broken:
            message = f"parent {target.parent!r} was not deployed"
            record(Outcome(target.id, target.layer, "skipped", message))
            return
        if target.id in problems:
            message, attempts = problems[target.id]
            record(Outcome(target.id, target.layer, "failed", message, attempts))
            return
        calls = 0
        try:
            state, diff = "changed", ""
            if dry_run or not force:
                state, diff, calls = _compare(target, client, full=dry_run)
            if dry_run:
                record(Outcome(target.id, target.layer, state, attempts=calls, diff=diff))
            elif state == "unchanged":
                record(Outcome(target.id, target.layer, "unchanged", attempts=calls))
            else:
                calls += client.apply(target.id, target.content)
                record(Outcome(target.id, target.layer, "applied", attempts=calls))
        except CallError as error:
            calls += error.attempts
            record(Outcome(target.id, target.layer, "failed", failure(error), calls))

    pool = ThreadPoolExecutor(max(1, concurrency))
    try:
        for layer in sorted({t.layer for t in targets}):
            list(pool.map(run, [t for t in targets if t.layer == layer]))
    except BaseException:
        # Ctrl-C or SIGTERM: start nothing more and wait for nothing; say which devices
        # were mid-way, so that what was applied and what may have been is known
        pool.shutdown(wait=False, cancel_futures=True)
        with lock:
            done = {o.id for o in result.outcomes}
            midway = [t for t in targets if t.id in started and t.id not in done]
        for target in midway:
            on_outcome(Outcome(target.id, target.layer, "interrupted", INTERRUPTED))
        raise
    pool.shutdown(wait=True)
    order = {t.id: i for i, t in enumerate(targets)}
    result.outcomes.sort(key=lambda o: order[o.id])
    return result


INTERRUPTED = "stopped while it was being deployed: it may or may not be applied; deploy again"


def failure(error: CallError) -> str:
    """What a failed call means for a device."""
    return f"IoT Hub answered {error}" if error.status is not None else str(error)


# --- at-scale mode: automatic deployments -----------------------------------------------------


@dataclass(frozen=True)
class ConfigurationsPlan:
    hierarchy: str
    devices: list[Target]  # content: {"tags": {...}}
    documents: list[dict[str, Any]]  # secrets resolved


def load_configurations(out: Path, environ: Mapping[str, str]) -> ConfigurationsPlan | None:
    """The automatic deployments of a folder written with `generate --as configurations`,
    or None for a per-device folder."""
    index = _index(out)
    if not index.as_configurations:
        return None
    listed: list[Listed] = [
        (c.file, c.sha256, [(p, list(n)) for p, n in c.secrets], ("configurations", i))
        for i, c in enumerate(index.configurations)
    ]
    documents = [content for content, _ in _load_checked(index, listed, environ)]
    devices = [
        Target(d.id, d.parent, d.layer, str(out / INDEX_NAME), {"tags": dict(d.tags or {})})
        for d in index.devices
    ]
    return ConfigurationsPlan(index.hierarchy, devices, documents)


def deploy_configurations(
    plan: ConfigurationsPlan,
    client: HubClient,
    *,
    dry_run: bool = False,
    concurrency: int = 8,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> DeployResult:
    """Tag the devices, create the deployments that are new (under a versioned id), update
    the settings IoT Hub lets change, and only then remove the versions they replace."""
    from acr_edge_cli.configurations import versioned_id

    result = DeployResult(dry_run)

    def record(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        on_outcome(outcome)

    problems = _preflight(plan.devices, client, concurrency)
    for device in plan.devices:
        if device.id in problems:
            record(Outcome(device.id, device.layer, "failed", problems[device.id][0]))
    for document in plan.documents:
        metrics = document.get("metrics", {}).get("queries", {})
        error = client.condition_error(document.get("targetCondition", ""), metrics)
        if error:
            record(Outcome(document["id"], -1, "failed", f"IoT Hub refuses the queries: {error}"))
    if result.failed:
        return result  # nothing has changed yet

    existing = {c["id"]: c for c in client.configurations()}
    prefix = f"{plan.hierarchy}-l"
    wanted = {versioned_id(d): d for d in plan.documents}
    ours = {i for i, c in existing.items() if c["labels"].get("hierarchy") == plan.hierarchy}
    stale = sorted(i for i in ours if i not in wanted and i.startswith(prefix))
    new = [i for i in wanted if i not in existing]
    if len(existing) + len(new) > 100:
        record(
            Outcome(
                plan.hierarchy, -1, "failed",
                f"{len(existing)} deployments exist and {len(new)} are new: IoT Hub holds at "
                "most 100 (the old versions are removed only after the new ones are in place)",
            )
        )  # fmt: skip
        return result

    def tag(device: Target) -> None:
        try:
            current = client.tags(device.id)
            wanted_tags = device.content["tags"]
            if all(current.get(key) == value for key, value in wanted_tags.items()):
                record(Outcome(device.id, device.layer, "unchanged", "tags"))
            elif dry_run:
                record(Outcome(device.id, device.layer, "changed", "tags would be set"))
            else:
                client.set_tags(device.id, wanted_tags)
                record(Outcome(device.id, device.layer, "tagged"))
        except CallError as error:
            record(Outcome(device.id, device.layer, "failed", failure(error)))

    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        list(pool.map(tag, plan.devices))
    if result.failed:
        return result

    for identifier, document in wanted.items():
        layer = int(document.get("labels", {}).get("layer", -1))
        current = existing.get(identifier)
        try:
            if current is None:
                if not dry_run:
                    client.create_configuration(document, identifier)
                record(Outcome(identifier, layer, "new" if dry_run else "created"))
                continue
            settings = {
                "labels": document.get("labels", {}),
                "priority": document.get("priority", 0),
                "targetCondition": document.get("targetCondition", ""),
                "metrics": document.get("metrics", {}).get("queries", {}),
            }
            if all(current[key] == value for key, value in settings.items()):
                record(Outcome(identifier, layer, "unchanged"))
            elif dry_run:
                record(Outcome(identifier, layer, "changed", "labels, priority or target"))
            else:
                client.update_configuration(document, identifier, current["etag"])
                record(Outcome(identifier, layer, "updated"))
        except CallError as error:
            record(Outcome(identifier, layer, "failed", failure(error)))
    if result.failed:
        return result  # keep the old versions: the new ones are not all in place
    for identifier in stale:
        try:
            if not dry_run:
                client.delete_configuration(identifier)
            record(Outcome(identifier, -1, "changed" if dry_run else "removed", "replaced"))
        except CallError as error:
            record(Outcome(identifier, -1, "failed", failure(error)))
    return result
