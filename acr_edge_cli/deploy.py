"""Apply a generated folder to IoT Hub, device by device, parents before children.

The only module that talks to IoT Hub, and the only one that imports the azure SDK (inside
HubClient, so that no other command pays for it). The SDK's own retries are switched off:
it never retries POST (the apply call) and retries 5xx without backoff jitter, so this
module retries every call itself, with exponential backoff and jitter, honouring
Retry-After, under one rate cap for the whole run.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acr_edge_cli.diagnostics import Diagnostic, Severity
from acr_edge_cli.errors import EXIT_HUB, AcrEdgeError, InputError
from acr_edge_cli.loader import load_file
from acr_edge_cli.output import INDEX_NAME
from acr_edge_cli.references import REFERENCE, substitute

STATES = (
    "applied",
    "unchanged",
    "changed",
    "new",
    "failed",
    "skipped",
    # at-scale mode: device tags and automatic deployments
    "tagged",
    "created",
    "updated",
    "removed",
)


class HubError(AcrEdgeError):
    """IoT Hub could not be reached, or refused the credentials (exit 3)."""

    exit_code = EXIT_HUB


class HubCallError(Exception):
    """One failed call: `status` None for a connection failure."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.attempts = 1

    @property
    def transient(self) -> bool:
        return self.status is None or self.status in (408, 429) or self.status >= 500


@dataclass(frozen=True)
class Target:
    """One device to deploy: its manifest with every ${NAME} resolved."""

    id: str
    parent: str | None
    layer: int
    manifest: str
    content: dict[str, Any]


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

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for o in self.outcomes if o.state == state) for state in STATES}


# --- reading OUT ---------------------------------------------------------------------------


def _resolve(value: Any, environ: Mapping[str, str], missing: set[str]) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value
        result, unset, _ = substitute(value, environ)
        missing.update(unset)
        return result
    if isinstance(value, dict):
        return {key: _resolve(item, environ, missing) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, environ, missing) for item in value]
    return value


def _load_resolved(paths: list[Path], environ: Mapping[str, str]) -> list[Any]:
    """The documents at `paths` with every ${NAME} resolved; every unset variable of every
    file is named at once, before anything is sent (an input error, exit 2)."""
    documents = []
    missing: dict[str, set[str]] = {}
    for path in paths:
        unset: set[str] = set()
        documents.append(_resolve(load_file(path, str(path)).data, environ, unset))
        if unset:
            missing[str(path)] = unset
    if missing:
        raise InputError(
            [
                Diagnostic(
                    file, None, None, "input", Severity.ERROR,
                    f"environment variable {name} is not set (referenced as ${{{name}}})",
                )
                for file, names in sorted(missing.items())
                for name in sorted(names)
            ]
        )  # fmt: skip
    return documents


def load_targets(out: Path, environ: Mapping[str, str], only: Collection[str] = ()) -> list[Target]:
    """The devices of a generated folder, parents first, with secrets resolved.

    Every unset variable is named before anything is sent (an input error, exit 2).
    """
    index = load_file(out / INDEX_NAME, str(out / INDEX_NAME))
    devices = index.data.get("devices") if isinstance(index.data, dict) else None
    if not isinstance(devices, list):
        raise InputError([index.diagnostic((), "not an acr-edge index.json (no devices list)")])
    known = {str(d.get("id")) for d in devices if isinstance(d, dict)}
    unknown = sorted(set(only) - known)
    if unknown:
        raise InputError(
            [
                index.diagnostic(("devices",), f"no device {name!r} in this output")
                for name in unknown
            ]
        )
    selected = [entry for entry in devices if not only or entry["id"] in only]
    paths = [out / entry["manifest"] for entry in selected]
    targets = [
        Target(entry["id"], entry.get("parent"), int(entry["layer"]), str(path), content)
        for entry, path, content in zip(
            selected, paths, _load_resolved(paths, environ), strict=True
        )
    ]
    return sorted(targets, key=lambda t: t.layer)


# --- secrets in what is shown ---------------------------------------------------------------

_SECRET_IN_TEXT = re.compile(
    r"((?:SyncTokenPassword|SharedAccessKey|SharedAccessSignature)=)([^;]*)"
)
_SECRET_KEY = re.compile(r"(password|secret|key|token)$", re.IGNORECASE)
MASK = "********"


def _masked(secret: str) -> str:
    """A mask that still shows that a secret changed: 8 hex digits of its SHA-256, which
    say nothing usable about a random token."""
    if REFERENCE.fullmatch(secret):
        return secret
    return f"{MASK}#{hashlib.sha256(secret.encode()).hexdigest()[:8]}"


def mask(value: Any, key: str = "") -> Any:
    """A copy with passwords, keys and connection-string secrets replaced by a mask."""
    if isinstance(value, dict):
        masked: dict[str, Any] = {}
        for name, item in value.items():
            if isinstance(item, dict) and set(item) == {"value"} and _SECRET_KEY.search(name):
                masked[name] = {"value": _masked(str(item["value"]))}  # a secret env variable
            else:
                masked[name] = mask(item, name)
        return masked
    if isinstance(value, list):
        return [mask(item, key) for item in value]
    if isinstance(value, str):
        if key.lower() == "password":
            return _masked(value)
        return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + _masked(m.group(2)), value)
    return value


def _diff(module: str, current: Any, wanted: Any) -> str:
    def lines(value: Any) -> list[str]:
        if value is None:
            return []
        return json.dumps(mask(value), indent=2, sort_keys=True).splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(lines(current), lines(wanted), f"hub/{module}", f"manifest/{module}")
    )


# --- IoT Hub --------------------------------------------------------------------------------


class RateLimiter:
    """At most `rate` calls in any second of the run: calls are spaced evenly, with no burst
    allowance, at 95% of the cap, since the network bunches calls on the way (measured
    against the local hub: 3% above the cap when spaced at exactly 1/rate)."""

    HEADROOM = 0.95

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / (rate * self.HEADROOM)
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass(frozen=True)
class RetryPolicy:
    # 12 tries ride out long fault streaks (at 30% failures, 1 call in ~2 million still
    # fails) while one call waits at most about a minute
    attempts: int = 12
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, error: HubCallError) -> float:
        if error.retry_after is not None:
            return error.retry_after
        # "full jitter": spread retries of many workers over the whole window
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


class HubClient:
    """IoT Hub through the azure-iot-hub SDK; every call is rate-limited and retried."""

    def __init__(
        self,
        *,
        connection_string: str | None = None,
        hub_host: str | None = None,
        rate: float = 200.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        from azure.iot.hub import IoTHubConfigurationManager, IoTHubRegistryManager

        try:
            if connection_string is not None:
                self.registry = IoTHubRegistryManager.from_connection_string(connection_string)
                self.configuration = IoTHubConfigurationManager.from_connection_string(
                    connection_string
                )
            else:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
                self.registry = IoTHubRegistryManager.from_token_credential(hub_host, credential)
                self.configuration = IoTHubConfigurationManager.from_token_credential(
                    hub_host, credential
                )
        except (ValueError, KeyError, TypeError):
            # the SDK's message may quote the connection string: never show it
            raise HubError("the IoT Hub connection string is not valid") from None
        for manager in (self.registry, self.configuration):
            manager.protocol.config.retry_policy.retries = 0  # retried here, POST included
            # one pooled session: msrest otherwise opens a TLS connection per call
            manager.protocol.config.keep_alive = True
        self.limiter = RateLimiter(rate)
        self.retry = retry or RetryPolicy()
        self.calls = 0
        self._count = threading.Lock()

    def _call(self, operation: Callable[[], Any]) -> Any:
        from msrest.exceptions import ClientRequestError, HttpOperationError

        self.limiter.acquire()
        with self._count:
            self.calls += 1
        try:
            return operation()
        except HttpOperationError as error:
            response = error.response
            status = response.status_code if response is not None else None
            header = response.headers.get("Retry-After") if response is not None else None
            code = response.headers.get("iothub-errorcode", "") if response is not None else ""
            retry_after = float(header) if header and header.isdigit() else None
            raise HubCallError(status, f"{status} {code}".strip(), retry_after) from None
        except (ClientRequestError, OSError) as error:
            # urllib3 reports a 5xx as "too many 503 error responses" even with retries off
            server = _SERVER_ERROR.search(str(error))
            if server:
                status = int(server.group(1))
                raise HubCallError(status, f"{status} {_REASONS.get(status, '')}".strip()) from None
            raise HubCallError(None, _connection_problem(error)) from None

    def call(self, operation: Callable[[], Any]) -> tuple[Any, int]:
        """(result, attempts); transient failures are retried, then raised."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._call(operation), attempt
            except HubCallError as error:
                if error.status == 401:
                    raise HubError("IoT Hub refused the credentials (401 Unauthorized)") from None
                if not error.transient or attempt >= self.retry.attempts:
                    error.attempts = attempt
                    raise
                time.sleep(self.retry.delay(attempt, error))

    def device(self, device_id: str) -> tuple[dict[str, Any] | None, int]:
        try:
            device, attempts = self.call(lambda: self.registry.get_device(device_id))
        except HubCallError as error:
            if error.status == 404:
                return None, error.attempts
            raise
        return {
            "edge": bool(device.capabilities and device.capabilities.iot_edge),
            "scope": device.device_scope,
            "parent_scopes": list(device.parent_scopes or []),
        }, attempts

    def desired(self, device_id: str, module: str) -> tuple[dict[str, Any] | None, int]:
        try:
            twin, attempts = self.call(lambda: self.registry.get_module_twin(device_id, module))
        except HubCallError as error:
            if error.status == 404:
                return None, error.attempts
            raise
        desired = (twin.properties.desired or {}) if twin.properties else {}
        return {k: v for k, v in desired.items() if not k.startswith("$")}, attempts

    def tags(self, device_id: str) -> dict[str, Any]:
        twin, _ = self.call(lambda: self.registry.get_twin(device_id))
        return dict(twin.tags or {})

    def set_tags(self, device_id: str, tags: dict[str, Any]) -> None:
        from azure.iot.hub.models import Twin

        self.call(lambda: self.registry.update_twin(device_id, Twin(tags=tags), "*"))

    def configurations(self) -> list[dict[str, Any]]:
        found, _ = self.call(lambda: self.configuration.get_configurations())
        return [
            {
                "id": c.id,
                "etag": c.etag,
                "labels": dict(c.labels or {}),
                "priority": c.priority,
                "targetCondition": c.target_condition,
                "metrics": dict((c.metrics.queries if c.metrics else None) or {}),
            }
            for c in found
        ]

    def condition_error(self, condition: str, metrics: dict[str, str]) -> str:
        from azure.iot.hub.models import ConfigurationQueriesTestInput

        query = ConfigurationQueriesTestInput(
            target_condition=condition, custom_metric_queries=metrics
        )
        answer, _ = self.call(lambda: self.configuration.test_configuration_queries(query))
        errors = [answer.target_condition_error or ""]
        errors += [f"{k}: {v}" for k, v in (answer.custom_metric_query_errors or {}).items() if v]
        return "; ".join(e for e in errors if e)

    def _configuration_model(self, document: dict[str, Any], identifier: str) -> Any:
        from azure.iot.hub.models import Configuration, ConfigurationContent, ConfigurationMetrics

        return Configuration(
            id=identifier,
            schema_version=document.get("schemaVersion", "1.0"),
            labels=document.get("labels"),
            content=ConfigurationContent(modules_content=document["content"]["modulesContent"]),
            target_condition=document.get("targetCondition", ""),
            priority=document.get("priority", 0),
            metrics=ConfigurationMetrics(queries=document.get("metrics", {}).get("queries")),
        )

    def create_configuration(self, document: dict[str, Any], identifier: str) -> None:
        model = self._configuration_model(document, identifier)
        self.call(lambda: self.configuration.create_configuration(model))

    def update_configuration(self, document: dict[str, Any], identifier: str, etag: str) -> None:
        model = self._configuration_model(document, identifier)
        # The SDK sends this etag unquoted, which IoT Hub does not recognise (it answers 409
        # as for a create; Azure/azure-iot-hub-python#2): quote it here.
        quoted = etag if etag.startswith('"') else f'"{etag}"'
        self.call(lambda: self.configuration.update_configuration(model, quoted))

    def delete_configuration(self, identifier: str) -> None:
        self.call(lambda: self.configuration.delete_configuration(identifier))

    def apply(self, device_id: str, content: dict[str, Any]) -> int:
        from azure.iot.hub.models import ConfigurationContent

        body = ConfigurationContent(modules_content=content["modulesContent"])
        _, attempts = self.call(
            lambda: self.configuration.apply_configuration_on_edge_device(device_id, body)
        )
        return int(attempts)


_SERVER_ERROR = re.compile(r"too many (\d{3}) error responses")
_REASONS = {
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def _connection_problem(error: BaseException) -> str:
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "the IoT Hub's TLS certificate is not trusted"
    return "IoT Hub could not be reached"


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
        except HubCallError as error:
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
                f"device-identity create --device-id {target.id} --edge-enabled",
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
                    f"Hub; set it: az iot hub device-identity parent set --device-id {target.id} "
                    f"--parent-device-id {target.parent}",
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
            diffs.append(_diff(module, current, wanted))
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
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        with lock:
            result.outcomes.append(outcome)
            if outcome.state in ("failed", "skipped"):
                broken.add(outcome.id)
        on_outcome(outcome)

    def run(target: Target) -> None:
        if target.parent in broken:
            record(
                Outcome(
                    target.id, target.layer, "skipped", f"parent {target.parent!r} was not deployed"
                )
            )
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
        except HubCallError as error:
            calls += error.attempts
            record(Outcome(target.id, target.layer, "failed", f"IoT Hub answered {error}", calls))

    layers = sorted({t.layer for t in targets})
    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        for layer in layers:
            list(pool.map(run, [t for t in targets if t.layer == layer]))
    order = {t.id: i for i, t in enumerate(targets)}
    result.outcomes.sort(key=lambda o: order[o.id])
    return result


# --- at-scale mode: automatic deployments -----------------------------------------------------


@dataclass(frozen=True)
class ConfigurationsPlan:
    hierarchy: str
    devices: list[Target]  # content: {"tags": {...}}
    documents: list[dict[str, Any]]  # secrets resolved


def load_configurations(out: Path, environ: Mapping[str, str]) -> ConfigurationsPlan | None:
    """The automatic deployments of a folder written with `generate --as configurations`,
    or None for a per-device folder."""
    index = load_file(out / INDEX_NAME, str(out / INDEX_NAME)).data
    if not isinstance(index, dict) or index.get("mode") != "configurations":
        return None
    paths = [out / entry["file"] for entry in index["configurations"]]
    documents = _load_resolved(paths, environ)
    devices = [
        Target(
            d["id"], d.get("parent"), int(d["layer"]), str(out / INDEX_NAME), {"tags": d["tags"]}
        )
        for d in index["devices"]
    ]
    return ConfigurationsPlan(str(index["hierarchy"]), devices, documents)


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
        except HubCallError as error:
            record(Outcome(device.id, device.layer, "failed", f"IoT Hub answered {error}"))

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
        except HubCallError as error:
            record(Outcome(identifier, layer, "failed", f"IoT Hub answered {error}"))
    if result.failed:
        return result  # keep the old versions: the new ones are not all in place
    for identifier in stale:
        try:
            if not dry_run:
                client.delete_configuration(identifier)
            record(Outcome(identifier, -1, "changed" if dry_run else "removed", "replaced"))
        except HubCallError as error:
            record(Outcome(identifier, -1, "failed", f"IoT Hub answered {error}"))
    return result
