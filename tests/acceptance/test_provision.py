"""`acr-edge provision` through the CLI, against a local Resource Manager and a local IoT Hub
that speak the real protocols to the real SDKs (azure-mgmt-containerregistry, azure-iot-hub)
over TLS."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.arm.server import ArmFaults, RunningArm, running_arm
from tests.conftest import EXAMPLES, CliResult
from tests.iothub.server import RunningHub, running_hub

TOP_REPOSITORIES = [
    "acr/connected-registry",
    "azureiotedge-agent",
    "azureiotedge-hub",
    "azureiotedge-api-proxy",
    "azureiotedge-diagnostics",
]
LOWER_REPOSITORIES = TOP_REPOSITORIES[:4]
READ_WRITE = ["content/read", "content/write", "content/delete", "metadata/read", "metadata/write"]
READ_ONLY = ["content/read", "metadata/read"]
GATEWAY = ["config/read", "config/write", "message/read", "message/write"]


def _actions(repositories: list[str], actions: list[str]) -> set[str]:
    return {f"repositories/{r}/{a}" for r in repositories for a in actions}


def _gateway(name: str) -> set[str]:
    return {f"gateway/{name}/{a}" for a in GATEWAY}


@dataclass
class Cloud:
    arm: RunningArm
    hub: RunningHub
    hierarchy: Path
    secrets: Path

    def scope_map(self, name: str) -> set[str]:
        registry = self.arm.arm.registries["contosoregistry"]
        return set(registry.scope_maps[name]["properties"]["actions"])

    @property
    def registry(self) -> Any:
        return self.arm.arm.registries["contosoregistry"]


def _hierarchy(path: Path, resource_id: str | None, edit: Callable[[Any], None] | None) -> Path:
    data = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    if resource_id is None:
        del data["cloud_registry"]["resource_id"]
    else:
        data["cloud_registry"]["resource_id"] = resource_id
    lower = data["devices"][0]["children"][0]["connected_registry"]
    lower["client_tokens"] = ["lowerregistry-client"]
    if edit is not None:
        edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Cloud]]:
    stack: list[Any] = []

    def start(faults: ArmFaults | None = None, edit: Callable[[Any], None] | None = None) -> Cloud:
        arm_context = running_arm(tmp_path, faults=faults)
        hub_context = running_hub(tmp_path)
        arm, hub = arm_context.__enter__(), hub_context.__enter__()
        stack.extend([arm_context, hub_context])
        bundle = tmp_path / "cas.pem"
        bundle.write_text(arm.ca_file.read_text() + hub.ca_file.read_text())
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        monkeypatch.setenv("ACR_EDGE_ARM_ENDPOINT", arm.endpoint)
        monkeypatch.setenv("ACR_EDGE_ARM_TOKEN", arm.arm.token)
        monkeypatch.setenv("ACR_EDGE_ARM_POLL_SECONDS", "0.01")
        monkeypatch.setenv("IOTHUB_CONNECTION_STRING", hub.connection_string)
        for name in ("TOP_SYNC_TOKEN_PASSWORD", "LOWER_SYNC_TOKEN_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        path = _hierarchy(tmp_path / "hierarchy.yaml", arm.resource_id, edit)
        return Cloud(arm, hub, path, tmp_path / "secrets.env")

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


def _json(result: CliResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _by_name(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["resource"], a["name"]): a for a in document["actions"]}


def test_plan_reads_and_sends_no_write(cloud: Callable[..., Cloud], cli: Any) -> None:
    c = cloud()
    result = cli("provision", c.hierarchy, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = _json(result)
    assert document["applied"] is False
    assert document["summary"] == {
        "create": 12, "update": 1, "unchanged": 0, "failed": 0, "skipped": 0,
    }  # fmt: skip
    actions = _by_name(document)
    assert actions[("registry", "contosoregistry")]["changes"] == {
        "data_endpoint_enabled": {"from": False, "to": True}
    }
    assert actions[("connected-registry", "lowerregistry")]["parent"] == "topregistry"
    assert c.arm.arm.writes == []
    assert [r for r in c.hub.hub.requests if r[0] != "GET"] == []


def test_apply_builds_the_tree_parents_first_with_the_actions_az_gives(
    cloud: Callable[..., Cloud], cli: Any
) -> None:
    c = cloud()
    result = cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets)
    assert result.exit_code == 0, result.stdout + result.stderr
    # az acr connected-registry create: the registry's own repositories by mode and gateway
    # actions, and every descendant's added to each ancestor's sync scope map
    assert c.scope_map("lowerregistry") == _actions(LOWER_REPOSITORIES, READ_ONLY) | _gateway(
        "lowerregistry"
    )
    assert c.scope_map("topregistry") == (
        _actions(TOP_REPOSITORIES, READ_WRITE)
        | _gateway("topregistry")
        | _actions(LOWER_REPOSITORIES, READ_ONLY)
        | _gateway("lowerregistry")
    )
    assert c.scope_map("lowerregistry-client-scope-map") == _actions(LOWER_REPOSITORIES, READ_ONLY)
    registry = c.registry
    assert registry.data_endpoint_enabled
    lower = registry.connected_registries["lowerregistry"]["properties"]
    assert lower["mode"] == "ReadOnly"
    assert lower["parent"]["id"].endswith("/connectedRegistries/topregistry")
    assert lower["parent"]["syncProperties"]["tokenId"].endswith("/tokens/lowerregistry-sync-token")
    assert [t.rsplit("/", 1)[1] for t in lower["clientTokenIds"]] == ["lowerregistry-client"]
    top = registry.connected_registries["topregistry"]["properties"]
    assert top["parent"]["id"] is None
    assert top["parent"]["syncProperties"]["schedule"] == "* * * * *"
    # parents first: the top registry's resources before the lower one's
    writes = [path.rsplit("/", 2)[-2:] for method, path, _ in c.arm.arm.writes if method == "PUT"]
    assert writes.index(["connectedRegistries", "topregistry"]) < writes.index(
        ["connectedRegistries", "lowerregistry"]
    )
    # IoT Edge identities with their parent
    devices = c.hub.hub.devices
    assert devices["top-layer"]["capabilities"]["iotEdge"] is True
    assert devices["lower-layer"]["parentScopes"] == [devices["top-layer"]["deviceScope"]]
    # the passwords: generated, written only to the 0600 file, never printed
    written = dict(line.split("=", 1) for line in c.secrets.read_text().splitlines())
    host = c.hub.hub.host
    assert written == {
        "LOWER_SYNC_TOKEN_PASSWORD": registry.passwords["lowerregistry-sync-token"],
        "TOP_SYNC_TOKEN_PASSWORD": registry.passwords["topregistry-sync-token"],
        # what a bundle's config.toml refers to
        "LOWER_LAYER_CONNECTION_STRING": f"HostName={host};DeviceId=lower-layer;"
        f"SharedAccessKey={devices['lower-layer']['authentication']['symmetricKey']['primaryKey']}",
        "TOP_LAYER_CONNECTION_STRING": f"HostName={host};DeviceId=top-layer;"
        f"SharedAccessKey={devices['top-layer']['authentication']['symmetricKey']['primaryKey']}",
    }
    assert stat.S_IMODE(c.secrets.stat().st_mode) == 0o600
    for value in written.values():
        assert value not in result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "12 create, 1 update"


def test_a_second_apply_changes_nothing_and_says_so(cloud: Callable[..., Cloud], cli: Any) -> None:
    c = cloud()
    first = cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets)
    assert first.exit_code == 0, first.stderr
    writes = len(c.arm.arm.writes)
    hub_writes = len([r for r in c.hub.hub.requests if r[0] != "GET"])
    second = cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets)
    assert second.exit_code == 0, second.stderr
    assert second.stdout == "nothing changed: all 13 resources match the file\n"
    assert len(c.arm.arm.writes) == writes
    assert len([r for r in c.hub.hub.requests if r[0] != "GET"]) == hub_writes


def test_drift_is_shown_as_updates_and_a_mode_change_is_refused(
    cloud: Callable[..., Cloud], cli: Any
) -> None:
    c = cloud()
    assert cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets).exit_code == 0
    top = c.registry.connected_registries["topregistry"]["properties"]
    top["parent"]["syncProperties"]["schedule"] = "0 */4 * * *"
    top["parent"]["syncProperties"]["syncWindow"] = "PT2H"
    top["logging"]["logLevel"] = "Debug"
    c.hub.hub.devices["lower-layer"]["parentScopes"] = []
    plan = _json(cli("provision", c.hierarchy, "--secrets-out", c.secrets, "--format", "json"))
    actions = _by_name(plan)
    assert actions[("connected-registry", "topregistry")]["action"] == "update"
    assert actions[("connected-registry", "topregistry")]["changes"] == {
        "schedule": {"from": "0 */4 * * *", "to": "* * * * *"},
        "window": {"from": "PT2H", "to": None},
        "log_level": {"from": "Debug", "to": "Information"},
    }
    assert actions[("device-identity", "lower-layer")]["changes"] == {
        "parent": {"from": None, "to": "top-layer"}
    }
    applied = cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets)
    assert applied.exit_code == 0, applied.stderr
    assert top["parent"]["syncProperties"]["schedule"] == "* * * * *"
    devices = c.hub.hub.devices
    assert devices["lower-layer"]["parentScopes"] == [devices["top-layer"]["deviceScope"]]
    # ACR cannot change a mode: an error that says so, and what depends on it is skipped
    c.registry.connected_registries["lowerregistry"]["properties"]["mode"] = "ReadWrite"
    refused = cli("provision", c.hierarchy, "--secrets-out", c.secrets, "--format", "json")
    assert refused.exit_code == 1
    lower = _by_name(_json(refused))[("connected-registry", "lowerregistry")]
    assert lower["action"] == "failed"
    assert "cannot change a connected registry's mode" in lower["error"]


def test_faults_are_retried_until_the_tree_converges(cloud: Callable[..., Cloud], cli: Any) -> None:
    c = cloud(faults=ArmFaults(rate=0.1, seed=11))
    result = cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert any(status in (429, 500) for _, _, status in c.arm.arm.requests)
    c.arm.arm.faults.rate = 0.0
    again = cli("provision", c.hierarchy, "--secrets-out", c.secrets, "--format", "json")
    assert _json(again)["summary"]["unchanged"] == 13


def test_what_the_file_does_not_name_is_not_touched(cloud: Callable[..., Cloud], cli: Any) -> None:
    c = cloud()
    registry = c.registry
    registry.scope_maps["other"] = {"id": "x", "name": "other", "properties": {"actions": ["a"]}}
    registry.tokens["other"] = {"id": "y", "name": "other", "properties": {"scopeMapId": "x"}}
    unrelated = c.hub.hub.add_device("unrelated-sensor", edge=False)
    before = json.dumps([registry.scope_maps["other"], registry.tokens["other"], unrelated])
    assert cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets).exit_code == 0
    after = json.dumps([registry.scope_maps["other"], registry.tokens["other"],
                        c.hub.hub.devices["unrelated-sensor"]])  # fmt: skip
    assert after == before
    touched = {path.rsplit("/", 1)[-1] for _, path, _ in c.arm.arm.requests}
    assert "other" not in touched
    assert not any("unrelated-sensor" in path for _, path, _ in c.hub.hub.requests)


def test_generating_passwords_needs_a_secrets_file(cloud: Callable[..., Cloud], cli: Any) -> None:
    c = cloud()
    result = cli("provision", c.hierarchy, "--apply")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: provision would generate sync token passwords (TOP_SYNC_TOKEN_PASSWORD, "
        "LOWER_SYNC_TOKEN_PASSWORD) and print none: name the file they go to with "
        "--secrets-out FILE\n"
    )
    assert c.arm.arm.writes == []


def test_resource_id_is_required(tmp_path: Path, cli: Any) -> None:
    path = _hierarchy(tmp_path / "h.yaml", None, None)
    result = cli("provision", path)
    assert result.exit_code == 2
    assert "cloud_registry.resource_id is required by provision" in result.stderr
    assert f"{path}:" in result.stderr


def test_refused_credentials_exit_3(
    cloud: Callable[..., Cloud], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = cloud()
    monkeypatch.setenv("ACR_EDGE_ARM_TOKEN", "not-the-token")
    result = cli("provision", c.hierarchy)
    assert result.exit_code == 3
    assert "Resource Manager refused the credentials (401)" in result.stderr
    assert "not-the-token" not in result.stderr


def test_a_failed_resource_skips_its_dependents_and_names_them(
    cloud: Callable[..., Cloud], cli: Any
) -> None:
    c = cloud()
    registry = c.registry
    registry.scope_maps["someone-elses"] = {"id": "m", "name": "someone-elses",
                                            "properties": {"actions": ["a"]}}  # fmt: skip
    registry.tokens["lowerregistry-sync-token"] = {
        "id": "t",
        "name": "lowerregistry-sync-token",
        "properties": {"scopeMapId": registry.id + "/scopeMaps/someone-elses"},
    }
    result = cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets, "--format",
                 "json")  # fmt: skip
    assert result.exit_code == 1
    actions = _by_name(_json(result))
    assert actions[("token", "lowerregistry-sync-token")]["action"] == "failed"
    assert actions[("password", "lowerregistry-sync-token")]["error"] == (
        "needs token lowerregistry-sync-token, which failed"
    )
    assert actions[("connected-registry", "lowerregistry")]["action"] == "skipped"
    assert "lowerregistry" not in registry.connected_registries
    assert actions[("connected-registry", "topregistry")]["action"] == "create"
    assert "topregistry" in registry.connected_registries


def test_generate_and_deploy_read_the_secrets_file_provision_wrote(
    cloud: Callable[..., Cloud], cli: Any, tmp_path: Path
) -> None:
    c = cloud()
    assert cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets).exit_code == 0
    out = tmp_path / "out"
    unset = cli("generate", c.hierarchy, "-o", out, "--inline-secrets")
    assert unset.exit_code == 2  # the environment alone has no password
    generated = cli(
        "generate", c.hierarchy, "-o", out, "--inline-secrets", "--secrets-file", c.secrets
    )
    assert generated.exit_code == 0, generated.stderr
    manifest = (out / "layer-1" / "lower-layer" / "deployment.json").read_text()
    password = c.registry.passwords["lowerregistry-sync-token"]
    assert f"SyncTokenPassword={password};" in manifest
    kept = tmp_path / "kept"
    assert cli("generate", c.hierarchy, "-o", kept).exit_code == 0
    deployed = cli("deploy", kept, "--yes", "--secrets-file", c.secrets, "--format", "json")
    assert deployed.exit_code == 0, deployed.stdout + deployed.stderr
    assert password not in deployed.stdout + deployed.stderr
    applied = c.hub.hub.module_twins[("lower-layer", "$edgeAgent")]["properties"]["desired"]
    assert password in json.dumps(applied)


def test_status_reads_each_connected_registry_state(
    cloud: Callable[..., Cloud], cli: Any, tmp_path: Path
) -> None:
    c = cloud()
    assert cli("provision", c.hierarchy, "--apply", "--secrets-out", c.secrets).exit_code == 0
    out = tmp_path / "out"
    assert cli("generate", c.hierarchy, "-o", out).exit_code == 0
    assert cli("deploy", out, "--yes", "--secrets-file", c.secrets).exit_code == 0
    for device in ("top-layer", "lower-layer"):
        c.hub.hub.report_as_runtime(device)
    offline = cli("status", out, "--format", "json")
    assert offline.exit_code == 1
    devices = {d["id"]: d for d in json.loads(offline.stdout)["devices"]}
    assert devices["top-layer"]["reasons"] == [
        "connected registry topregistry is Offline, never active"
    ]
    assert devices["lower-layer"]["reasons"][0] == (
        "its parent 'top-layer' is not healthy: look there first"
    )
    for name in ("topregistry", "lowerregistry"):
        properties = c.registry.connected_registries[name]["properties"]
        properties["connectionState"] = "Online"
        properties["lastActivityTime"] = "2026-12-03T06:00:00Z"
    c.registry.connected_registries["lowerregistry"]["properties"].update(
        connectionState="Unhealthy",
        statusDetails=[{"code": "DiskError", "description": "Access to the path is denied",
                        "type": "Error"}],
    )  # fmt: skip
    unhealthy = cli("status", out, "--format", "json")
    assert unhealthy.exit_code == 1
    lower = {d["id"]: d for d in json.loads(unhealthy.stdout)["devices"]}["lower-layer"]
    assert lower["reasons"] == [
        "connected registry lowerregistry is Unhealthy, last activity 2026-12-03T06:00:00Z "
        "(DiskError: Access to the path is denied)"
    ]
    c.registry.connected_registries["lowerregistry"]["properties"].update(
        connectionState="Syncing", statusDetails=[]
    )
    healthy = cli("status", out)
    assert healthy.exit_code == 0, healthy.stdout
    assert "ok  top-layer  layer 0  version 2  registry topregistry Online" in healthy.stdout
    # without ARM: --skip-registries reads IoT Hub only
    c.registry.connected_registries["topregistry"]["properties"]["connectionState"] = "Offline"
    assert cli("status", out, "--skip-registries").exit_code == 0


def test_device_ids_that_would_share_a_connection_string_name_are_refused_first(
    tmp_path: Path, cli: Any
) -> None:
    def clashing(data: Any) -> None:
        data["devices"][0]["children"][0]["children"] = [{"id": "edge.1"}, {"id": "edge-1"}]

    path = _hierarchy(
        tmp_path / "h.yaml",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/contoso",
        clashing,
    )
    result = cli("provision", path, "--apply", "--secrets-out", tmp_path / "s.env")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: devices edge.1, edge-1 would share EDGE_1_CONNECTION_STRING in "
        f"{tmp_path / 's.env'}; give them ids that differ in more than - . _ and case\n",
    )
