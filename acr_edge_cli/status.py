"""`status`: has every device of a generated folder applied what deploy sent, and does it run?

Read from IoT Hub as the edge runtime reports it in `$edgeAgent` (learn.microsoft.com,
"Properties of the IoT Edge agent and IoT Edge hub module twins"): `lastDesiredVersion`
against the desired `$version`, `lastDesiredStatus.code` (200 applied; 400 invalid
configuration, 412 invalid schema version, 417 empty desired properties, 500 failed), and
per module `runtimeStatus` (running, stopped, failed, backoff, unhealthy) with `exitCode`,
`statusDescription` and `lastStartTimeUtc`. For folders of automatic deployments, the
deployments' system metrics (targeted, applied, reported successful, reported failed).
When the folder records the cloud registry (`cloud_registry.resource_id`), each device's
connected registry as ARM reports it: `connectionState` (Online, Syncing, Offline,
Unhealthy), `lastActivityTime` and `statusDetails`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from acr_edge_cli.calls import CallError
from acr_edge_cli.iothub import HubClient
from acr_edge_cli.output import OutputIndex

#: What lastDesiredStatus.code means, as the edge agent documents it.
DESIRED_STATUS = {
    200: "applied",
    400: "the deployment configuration is invalid",
    412: "the schema version is invalid",
    417: "the desired properties are empty",
    500: "the edge agent failed to apply it",
}
#: Seconds between two looks at the hub while waiting.
POLL_SECONDS = 2.0
#: A connected registry's connectionState that counts as healthy.
REGISTRY_HEALTHY = ("Online", "Syncing")

#: Reads a connected registry by name: ARM's JSON, or None when it does not exist.
RegistryReader = Callable[[str], "dict[str, Any] | None"]


@dataclass
class DeviceStatus:
    id: str
    parent: str | None
    layer: int
    converged: bool = False  # edgeAgent applied the desired version
    healthy: bool = False  # every module in the state the manifest asks for
    reasons: list[str] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)  # name -> runtimeStatus
    desired_version: int | None = None
    applied_version: int | None = None
    #: its connected registry as ARM reports it (name, state, last activity), when read
    registry: dict[str, Any] | None = None
    registry_ok: bool = True

    @property
    def ok(self) -> bool:
        return self.converged and self.healthy and self.registry_ok

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent": self.parent,
            "layer": self.layer,
            "state": "converged" if self.ok else "not converged",
            "desired_version": self.desired_version,
            "applied_version": self.applied_version,
            "modules": self.modules,
            "connected_registry": self.registry,
            "reasons": self.reasons,
        }


@dataclass
class DeploymentStatus:
    """An automatic deployment, by the metrics IoT Hub keeps for it."""

    id: str
    targeted: int
    applied: int
    succeeded: int
    failed: int
    deployed: bool = True  # IoT Hub has it

    @property
    def ok(self) -> bool:
        return self.deployed and self.failed == 0 and self.succeeded == self.targeted

    @property
    def state(self) -> str:
        if not self.deployed:
            return "not deployed"
        return "converged" if self.ok else "not converged"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "targeted": self.targeted,
            "applied": self.applied,
            "reported_successful": self.succeeded,
            "reported_failed": self.failed,
        }


@dataclass
class StatusResult:
    devices: list[DeviceStatus] = field(default_factory=list)
    deployments: list[DeploymentStatus] = field(default_factory=list)
    waited: float = 0.0  # seconds, with --wait

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.devices) and all(d.ok for d in self.deployments)


def _expected_modules(manifest: Any) -> dict[str, str]:
    """Module name -> the status the manifest asks for (running unless it says stopped)."""
    desired = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]
    expected = {name: "running" for name in (desired.get("systemModules") or {})}
    for name, module in (desired.get("modules") or {}).items():
        wanted = module.get("status", "running") if isinstance(module, dict) else "running"
        expected[name] = str(wanted).lower()
    return expected


def _module_problem(name: str, wanted: str, report: Any) -> tuple[str, str | None]:
    """(runtimeStatus, what is wrong or None)."""
    if not isinstance(report, dict) or "runtimeStatus" not in report:
        return "unknown", f"{name} has not reported its state yet"
    status = str(report["runtimeStatus"])
    if status == wanted:
        return status, None
    details = []
    if report.get("exitCode") is not None:
        details.append(f"exit code {report['exitCode']}")
    if report.get("statusDescription"):
        details.append(str(report["statusDescription"]))
    if report.get("lastStartTimeUtc"):
        details.append(f"last started {report['lastStartTimeUtc']}")
    more = f" ({'; '.join(details)})" if details else ""
    return status, f"{name} is {status}, not {wanted}{more}"


def device_status(
    device_id: str,
    parent: str | None,
    layer: int,
    manifest: Any,
    state: dict[str, Any] | None,
) -> DeviceStatus:
    """One device's status from its manifest and what `$edgeAgent` holds."""
    status = DeviceStatus(device_id, parent, layer)
    if state is None:
        status.reasons.append("IoT Hub has no $edgeAgent twin for it: not deployed yet")
        return status
    reported = state["reported"]
    status.desired_version = state["desired_version"]
    if "lastDesiredVersion" not in reported:
        status.reasons.append(
            "the edge runtime has not reported anything yet (is the device online and "
            "running IoT Edge?)"
        )
        return status
    applied = reported.get("lastDesiredVersion")
    status.applied_version = applied if isinstance(applied, int) else None
    code = (reported.get("lastDesiredStatus") or {}).get("code")
    if status.applied_version != status.desired_version:
        seen = "nothing yet" if applied is None else f"version {applied}"
        status.reasons.append(
            f"edgeAgent has not applied version {status.desired_version} (it reports {seen})"
        )
    elif code != 200:
        description = (reported.get("lastDesiredStatus") or {}).get("description") or ""
        meaning = DESIRED_STATUS.get(code, "not applied") if isinstance(code, int) else "unknown"
        status.reasons.append(
            f"edgeAgent reports {code}: {meaning}" + (f" ({description})" if description else "")
        )
    else:
        status.converged = True
    reports = {**(reported.get("systemModules") or {}), **(reported.get("modules") or {})}
    problems = []
    for name, wanted in _expected_modules(manifest).items():
        status.modules[name], problem = _module_problem(name, wanted, reports.get(name))
        if problem:
            problems.append(problem)
    status.reasons.extend(problems)
    status.healthy = not problems
    return status


def registry_status(name: str, found: dict[str, Any] | None) -> tuple[dict[str, Any], str | None]:
    """(what to show of a connected registry, what is wrong or None)."""
    if found is None:
        missing: dict[str, Any] = {"name": name, "connection_state": None, "last_activity": None}
        return missing, f"connected registry {name} does not exist in ACR (acr-edge provision)"
    properties = found.get("properties") or {}
    state = properties.get("connectionState")
    last = properties.get("lastActivityTime")
    details = [
        f"{d.get('code')}: {d.get('description')}"
        for d in properties.get("statusDetails") or []
        if isinstance(d, dict)
    ]
    shown: dict[str, Any] = {"name": name, "connection_state": state,
                             "last_activity": last, "status_details": details}  # fmt: skip
    if state in REGISTRY_HEALTHY:
        return shown, None
    since = f", last activity {last}" if last else ", never active"
    more = f" ({'; '.join(details)})" if details else ""
    return shown, f"connected registry {name} is {state}{since}{more}"


def _parents_first(devices: list[DeviceStatus]) -> None:
    """A child cannot sync from a broken parent: point there first."""
    by_id = {d.id: d for d in devices}
    for device in devices:
        parent = by_id.get(device.parent) if device.parent else None
        if not device.ok and parent is not None and not parent.ok:
            device.reasons.insert(0, f"its parent {parent.id!r} is not healthy: look there first")


def read_status(
    index: OutputIndex, client: HubClient, registries: RegistryReader | None = None
) -> StatusResult:
    """Every device (tree order) or every automatic deployment of a generated folder, once;
    with `registries`, each device's connected registry too."""
    result = StatusResult()
    if index.as_configurations:
        # deploy creates each under `<id>-<digest of its content>` (configurations.versioned_id)
        deployed = [
            c for c in client.configurations() if c["labels"].get("hierarchy") == index.hierarchy
        ]
        for configuration in index.configurations:
            found = [c for c in deployed if c["id"].startswith(f"{configuration.id}-")]
            if not found:
                missing = DeploymentStatus(configuration.id, 0, 0, 0, 0, deployed=False)
                result.deployments.append(missing)
                continue
            for current in found:
                metrics = current.get("systemMetrics") or {}
                result.deployments.append(
                    DeploymentStatus(
                        current["id"],
                        int(metrics.get("targetedCount", 0)),
                        int(metrics.get("appliedCount", 0)),
                        int(metrics.get("reportedSuccessfulCount", 0)),
                        int(metrics.get("reportedFailedCount", 0)),
                    )
                )
        return result
    for entry in index.devices:
        manifest = orjson.loads(index.read(entry.manifest or ""))
        try:
            state = client.agent_state(entry.id)
        except CallError as error:
            status = DeviceStatus(entry.id, entry.parent, entry.layer)
            status.reasons.append(f"IoT Hub did not answer for it: {error}")
            result.devices.append(status)
            continue
        status = device_status(entry.id, entry.parent, entry.layer, manifest, state)
        name = index.registries[1].get(entry.id) if index.registries else None
        if registries is not None and name is not None:
            try:
                status.registry, problem = registry_status(name, registries(name))
            except CallError as error:
                problem = f"Resource Manager did not answer for {name}: {error}"
            if problem:
                status.registry_ok = False
                status.reasons.append(problem)
        result.devices.append(status)
    _parents_first(result.devices)
    return result


def wait_for_status(
    index: OutputIndex,
    client: HubClient,
    timeout: float,
    *,
    poll: float = POLL_SECONDS,
    on_poll: Callable[[StatusResult], None] = lambda result: None,
    registries: RegistryReader | None = None,
) -> StatusResult:
    """read_status until everything has converged or `timeout` seconds have passed; the
    last result either way. Every look goes through the client's rate cap."""
    started = time.monotonic()
    while True:
        result = read_status(index, client, registries)
        result.waited = time.monotonic() - started
        on_poll(result)
        left = timeout - result.waited
        if result.ok or left <= 0:
            return result
        time.sleep(min(poll, left))
