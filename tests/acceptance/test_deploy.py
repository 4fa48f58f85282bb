"""`acr-edge deploy` against a local IoT Hub that speaks the real protocol, driven through
the real azure-iot-hub SDK over TLS (tests/iothub)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from acr_edge_cli.generate import generate, write_generated
from tests.conftest import EXAMPLES, SECRETS, CliResult
from tests.iothub.server import Faults, RunningHub, running_hub

PARENTS = {
    "plant-dmz": None,
    "plant-site-ops": "plant-dmz",
    "line-1-controller": "plant-site-ops",
    "line-2-controller": "plant-site-ops",
}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    write_generated(
        generate(EXAMPLES / "factory-isa95.yaml", output=str(folder), environ={}), folder
    )
    return folder


@pytest.fixture
def hub_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets_env: dict[str, str]
) -> Iterator[Callable[..., RunningHub]]:
    stack: list[Any] = []

    def start(
        faults: Faults | None = None, register: dict[str, str | None] = PARENTS
    ) -> RunningHub:
        context = running_hub(tmp_path, faults)
        running = context.__enter__()
        stack.append(context)
        for device, parent in register.items():
            running.hub.add_device(device, parent=parent)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_file))
        monkeypatch.setenv("IOTHUB_CONNECTION_STRING", running.connection_string)
        return running

    yield start
    for context in stack:
        context.__exit__(None, None, None)


def _expected_desired(out: Path, device: str) -> dict[str, Any]:
    index = json.loads((out / "index.json").read_text())
    path = next(d["manifest"] for d in index["devices"] if d["id"] == device)
    text = (out / path).read_text()
    for name, value in SECRETS.items():
        text = text.replace("${" + name + "}", value)
    content = json.loads(text)["modulesContent"]
    return {module: twin["properties.desired"] for module, twin in content.items()}


def _regenerated(out: Path, relative: str, text: str) -> None:
    """Change one generated file as generating again would: index.json records its new
    SHA-256 (deploy refuses a file edited behind generate's back)."""
    (out / relative).write_text(text)
    index = json.loads((out / "index.json").read_text())
    for entry in index["devices"] + index.get("configurations", []):
        if relative in (entry.get("manifest"), entry.get("file")):
            entry["sha256"] = hashlib.sha256((out / relative).read_bytes()).hexdigest()
    (out / "index.json").write_text(json.dumps(index, indent=2))


def _assert_final_state(running: RunningHub, out: Path) -> None:
    for device in PARENTS:
        for module, desired in _expected_desired(out, device).items():
            assert running.hub.desired(device, module) == desired, (device, module)


def _applies(running: RunningHub) -> list[str]:
    return [
        path.split("/")[2]
        for method, path, status in running.hub.requests
        if method == "POST" and path.endswith("applyConfigurationContent") and status == 204
    ]


def test_three_layers_applied_parents_first_then_nothing_to_do(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    result = cli("deploy", out, "--yes", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [(d["id"], d["state"]) for d in report["devices"]] == [
        (device, "applied") for device in PARENTS
    ]
    order = _applies(running)
    assert order[0] == "plant-dmz" and order[1] == "plant-site-ops"
    assert sorted(order[2:]) == ["line-1-controller", "line-2-controller"]
    _assert_final_state(running, out)

    again = cli("deploy", out, "--yes", "--format", "json")
    assert again.exit_code == 0
    assert {d["state"] for d in json.loads(again.stdout)["devices"]} == {"unchanged"}
    assert len(_applies(running)) == 4  # nothing sent the second time


def test_dry_run_shows_the_diff_and_changes_nothing(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    assert cli("deploy", out, "--yes").exit_code == 0
    manifest = "layer-2/line-2-controller/deployment.json"
    text = (out / manifest).read_text().replace("opc-publisher:2.9.10", "opc-publisher:2.9.11")
    _regenerated(out, manifest, text)
    result = cli("deploy", out, "--dry-run", "--format", "json")
    assert result.exit_code == 0
    devices = {d["id"]: d for d in json.loads(result.stdout)["devices"]}
    assert {d: devices[d]["state"] for d in PARENTS} == {
        "plant-dmz": "unchanged",
        "plant-site-ops": "unchanged",
        "line-1-controller": "unchanged",
        "line-2-controller": "changed",
    }
    diff = devices["line-2-controller"]["diff"]
    assert diff.startswith("--- hub/$edgeAgent\n+++ manifest/$edgeAgent\n")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and "image" in line]
    assert changed == [
        '-        "image": "$upstream:8000/industrial-iot/opc-publisher:2.9.10"',
        '+        "image": "$upstream:8000/industrial-iot/opc-publisher:2.9.11"',
    ]
    assert len(_applies(running)) == 4

    text_report = cli("deploy", out, "--dry-run")
    assert "line-2-controller: changed" in text_report.stdout
    assert "dry run: 3 unchanged, 1 changed" in text_report.stdout


def test_a_new_hub_shows_every_device_as_new_in_a_dry_run(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    hub_for()
    report = json.loads(cli("deploy", out, "--dry-run", "--format", "json").stdout)
    assert report["summary"]["new"] == 4


def test_twenty_percent_faults_still_apply_every_device_once(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for(Faults(rate=0.2, seed=7))
    result = cli("deploy", out, "--yes", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert {d["state"] for d in json.loads(result.stdout)["devices"]} == {"applied"}
    faults = [status for _, _, status in running.hub.requests if status in (0, 429, 503)]
    assert faults, "the run should have met injected faults"
    assert dict(running.hub.applied) == dict.fromkeys(PARENTS, 1)
    _assert_final_state(running, out)


def test_a_missing_device_fails_only_its_subtree(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    registered = {"plant-dmz": None}  # plant-site-ops and its children are not registered
    running = hub_for(register=registered)
    result = cli("deploy", out, "--yes", "--format", "json")
    assert result.exit_code == 1
    devices = {d["id"]: d for d in json.loads(result.stdout)["devices"]}
    assert devices["plant-dmz"]["state"] == "applied"
    assert devices["plant-site-ops"]["state"] == "failed"
    hub_name = running.connection_string.split(";")[0].removeprefix("HostName=").split(".")[0]
    assert devices["plant-site-ops"]["message"] == (
        "device 'plant-site-ops' is not registered in IoT Hub; create it: az iot hub "
        f"device-identity create --hub-name {hub_name} --device-id plant-site-ops --edge-enabled"
    )
    assert devices["line-1-controller"]["state"] == "skipped"
    assert _applies(running) == ["plant-dmz"]


def test_a_wrong_parent_is_reported_with_the_fix(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    wrong = {**PARENTS, "line-2-controller": "plant-dmz"}
    running = hub_for(register=wrong)
    hub_name = running.connection_string.split(";")[0].removeprefix("HostName=").split(".")[0]
    result = cli("deploy", out, "--yes", "--format", "json")
    assert result.exit_code == 1
    (failed,) = [d for d in json.loads(result.stdout)["devices"] if d["state"] == "failed"]
    assert failed["message"] == (
        "device 'line-2-controller' does not have 'plant-site-ops' as its parent in IoT Hub; "
        f"set it: az iot hub device-identity parent set --hub-name {hub_name} --device-id "
        "line-2-controller --parent-device-id plant-site-ops"
    )


def test_wrong_credentials_exit_3_with_one_line(
    out: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = hub_for()
    wrong = running.connection_string.rsplit("=", 2)[0] + "=" + "A" * 43 + "="
    monkeypatch.setenv("IOTHUB_CONNECTION_STRING", wrong)
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 3
    assert result.stderr == "error: IoT Hub refused the credentials (401 Unauthorized)\n"
    assert _applies(running) == []


def test_unset_secrets_stop_the_run_before_any_call(
    out: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = hub_for()
    monkeypatch.delenv("PLANT_DMZ_SYNC_TOKEN_PASSWORD")
    monkeypatch.delenv("LINE_CONTROLLERS_TOKEN_PASSWORD")
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{out}/layer-0/plant-dmz/deployment.json: error: environment variable "
        "PLANT_DMZ_SYNC_TOKEN_PASSWORD is not set (referenced as ${PLANT_DMZ_SYNC_TOKEN_PASSWORD})",
        f"{out}/layer-2/line-1-controller/deployment.json: error: environment variable "
        "LINE_CONTROLLERS_TOKEN_PASSWORD is not set (referenced as ${LINE_CONTROLLERS_TOKEN_PASSWORD})",
        f"{out}/layer-2/line-2-controller/deployment.json: error: environment variable "
        "LINE_CONTROLLERS_TOKEN_PASSWORD is not set (referenced as ${LINE_CONTROLLERS_TOKEN_PASSWORD})",
    ]
    assert running.hub.requests == []


def test_no_secret_appears_in_any_output(
    out: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = hub_for()
    outputs = []
    first = cli("deploy", out, "--yes")
    outputs.append(first.stdout + first.stderr)
    # rotate every secret, so that a dry run diffs old and new values
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value + "-rotated")
    for fmt in ("text", "json"):
        dry = cli("deploy", out, "--dry-run", "--format", fmt)
        assert dry.exit_code == 0
        outputs.append(dry.stdout + dry.stderr)
    assert "changed" in outputs[-1]
    key = running.connection_string.split("SharedAccessKey=")[1]
    combined = "\n".join(outputs)
    for secret in [*SECRETS.values(), key]:
        assert secret not in combined
    assert "SyncTokenPassword=********#" in combined  # masked, but the change shows


# --- at-scale mode ----------------------------------------------------------------------------


@pytest.fixture
def at_scale(tmp_path: Path) -> Path:
    folder = tmp_path / "configurations-out"
    result = generate(
        EXAMPLES / "factory-isa95.yaml", output=str(folder), environ={}, as_configurations=True
    )
    write_generated(result, folder)
    return folder


def _ours(running: RunningHub) -> list[str]:
    return sorted(running.hub.configurations)


def test_at_scale_tags_devices_then_creates_versioned_deployments(
    at_scale: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    result = cli("deploy", at_scale, "--yes", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["tagged"] == 4 and report["summary"]["created"] == 5
    twin = running.hub.twins["line-1-controller"]
    assert twin["tags"]["acredge"]["layer"] == 2 and twin["tags"]["purdue"] == "L2"
    ids = _ours(running)
    assert len(ids) == 5
    assert all(
        re.fullmatch(
            r"contoso-plant-munich-l\d-[0-9a-f]{8}-[0-9a-f]{10}|contoso-plant-munich-l\d-base-[0-9a-f]{10}",
            i,
        )
        for i in ids
    )
    # tags were set before the first deployment was created
    methods = [
        (m, p.split("/")[1])
        for m, p, s in running.hub.requests
        if s == 200 and m in ("PATCH", "PUT")
    ]
    assert methods.index(("PUT", "configurations")) > max(
        i for i, call in enumerate(methods) if call == ("PATCH", "twins")
    )
    # secrets resolved in what the hub holds
    stored = json.dumps(running.hub.configurations)
    assert SECRETS["PLANT_DMZ_SYNC_TOKEN_PASSWORD"] in stored and "${" not in stored

    again = json.loads(cli("deploy", at_scale, "--yes", "--format", "json").stdout)
    assert {d["state"] for d in again["devices"]} == {"unchanged"}
    assert _ours(running) == ids


def test_at_scale_changed_content_replaces_the_deployment_after_the_new_one_exists(
    at_scale: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = hub_for()
    assert cli("deploy", at_scale, "--yes").exit_code == 0
    before = _ours(running)
    monkeypatch.setenv("PLANT_DMZ_SYNC_TOKEN_PASSWORD", "rotated-value")  # new content on layer 0
    dry = json.loads(cli("deploy", at_scale, "--dry-run", "--format", "json").stdout)
    assert (dry["summary"]["new"], dry["summary"]["changed"]) == (1, 1)
    assert _ours(running) == before
    result = json.loads(cli("deploy", at_scale, "--yes", "--format", "json").stdout)
    states = [
        (d["state"], d["id"].split("-l")[1][:6])
        for d in result["devices"]
        if d["state"] in ("created", "removed")
    ]
    assert states == [("created", "0-base"), ("removed", "0-base")]
    puts = [i for i, (m, p, s) in enumerate(running.hub.requests) if m == "PUT" and s == 200]
    deletes = [i for i, (m, p, s) in enumerate(running.hub.requests) if m == "DELETE" and s == 204]
    assert max(puts) < min(deletes)  # removed only after the new one is in place
    assert len(_ours(running)) == 5


def test_at_scale_settings_update_survives_the_unquoted_etag_bug(
    at_scale: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    assert running.hub.unquoted_etag_bug  # the hub behaves like the real one
    assert cli("deploy", at_scale, "--yes").exit_code == 0
    path = next((at_scale / "configurations").glob("*-l2-base.json"))
    document = json.loads(path.read_text())
    document["labels"]["owner"] = "ot-team"  # labels may change; content may not
    _regenerated(at_scale, path.relative_to(at_scale).as_posix(), json.dumps(document, indent=2))
    result = json.loads(cli("deploy", at_scale, "--yes", "--format", "json").stdout)
    assert result["summary"]["updated"] == 1 and result["summary"]["failed"] == 0
    stored = next(c for i, c in running.hub.configurations.items() if "-l2-base-" in i)
    assert stored["labels"]["owner"] == "ot-team"
    assert stored["etag"] == base64.b64encode(b"2").decode()


def test_at_scale_refused_queries_stop_before_any_change(
    at_scale: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    path = next((at_scale / "configurations").glob("*-l1-base.json"))
    document = json.loads(path.read_text())
    document["targetCondition"] = 'tags.site="munich"'
    _regenerated(at_scale, path.relative_to(at_scale).as_posix(), json.dumps(document))
    result = cli("deploy", at_scale, "--yes", "--format", "json")
    assert result.exit_code == 1
    (failed,) = [d for d in json.loads(result.stdout)["devices"] if d["state"] == "failed"]
    assert "Double quotes are not allowed" in failed["message"]
    assert running.hub.configurations == {}
    assert all(m == "GET" or "testQueries" in p for m, p, _ in running.hub.requests)


@pytest.mark.slow
def test_soak_500_devices_with_30_percent_faults(
    tmp_path: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    sys.path.insert(0, str(EXAMPLES.parent / "benchmarks"))
    from make_hierarchy import hierarchy

    source = tmp_path / "fleet.yaml"
    source.write_text(hierarchy(500))
    folder = tmp_path / "fleet-out"
    monkeypatch.setenv("SYNC_PASSWORD", "soak-secret-Vb2")
    write_generated(generate(source, output=str(folder), environ={}), folder)
    index = json.loads((folder / "index.json").read_text())
    running = hub_for(
        Faults(rate=0.3, seed=11), register={d["id"]: d["parent"] for d in index["devices"]}
    )
    result = cli("deploy", folder, "--yes", "--format", "json")
    assert result.exit_code == 0, result.stdout[-2000:]
    assert json.loads(result.stdout)["summary"]["applied"] == 500
    faults = sum(1 for _, _, status in running.hub.requests if status in (0, 429, 503))
    assert faults > 300  # about 30% of the calls failed on the way
    assert set(running.hub.applied.values()) == {1}
    for device in index["devices"]:
        text = (
            (folder / device["manifest"]).read_text().replace("${SYNC_PASSWORD}", "soak-secret-Vb2")
        )
        for module, twin in json.loads(text)["modulesContent"].items():
            assert running.hub.desired(device["id"], module) == twin["properties.desired"]


def test_a_device_the_hub_cannot_answer_for_is_not_called_unregistered(
    out: Path, hub_for: Callable[..., RunningHub]
) -> None:
    from acr_edge_cli.calls import RetryPolicy
    from acr_edge_cli.deploy import deploy, load_targets
    from acr_edge_cli.iothub import HubClient

    running = hub_for(Faults(rate=1.0, kinds=("503",), paths=r"^/devices/line-2-controller$"))
    client = HubClient(
        connection_string=running.connection_string, retry=RetryPolicy(attempts=3, base=0.01)
    )
    result = deploy(load_targets(out, {**SECRETS}), client)
    outcome = next(o for o in result.outcomes if o.id == "line-2-controller")
    assert (outcome.state, outcome.attempts) == ("failed", 3)
    assert outcome.message == "could not read the device from IoT Hub: 503 ServiceUnavailable"
    assert {o.id for o in result.outcomes if o.state == "applied"} == set(PARENTS) - {
        "line-2-controller"
    }


def test_at_scale_refuses_a_device_selection(
    at_scale: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    result = cli("deploy", at_scale, "--yes", "--device", "plant-dmz")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --device selects devices of a per-device folder; automatic deployments "
        "target devices by their tags\n"
    )
    assert running.hub.requests == []


# --- what deploy refuses to send ----------------------------------------------------------------


def _escaped_env_folder(tmp_path: Path) -> Path:
    """The factory example with a module env that means the literal text
    `${IOTHUB_CONNECTION_STRING}` (written `$${...}`) and an API token in plain text."""
    text = (EXAMPLES / "factory-isa95.yaml").read_text()
    text = text.replace(
        'env: {SendData: "true", SendInterval: 5}',
        'env: {SendData: "true", SendInterval: 5, '
        'HUB_HINT: "$${IOTHUB_CONNECTION_STRING}", LOWER_HINT: "$${LOWER_SYNC_TOKEN_PASSWORD}"}',
    )
    source = tmp_path / "escaped.yaml"
    source.write_text(text)
    folder = tmp_path / "escaped-out"
    write_generated(generate(source, output=str(folder), environ={}), folder)
    return folder


def test_deploy_resolves_only_the_secrets_index_json_records(
    tmp_path: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _escaped_env_folder(tmp_path)
    running = hub_for()
    monkeypatch.setenv("LOWER_SYNC_TOKEN_PASSWORD", "s3cret-never-sent-Kp4")
    dry = cli("deploy", folder, "--dry-run")
    result = cli("deploy", folder, "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    twin = running.hub.desired("line-1-controller", "$edgeAgent")
    assert twin is not None
    env = twin["modules"]["SimulatedTemperatureSensor"]["env"]
    assert env["HUB_HINT"] == {"value": "${IOTHUB_CONNECTION_STRING}"}  # sent as written
    assert env["LOWER_HINT"] == {"value": "${LOWER_SYNC_TOKEN_PASSWORD}"}
    stored = json.dumps(list(running.hub.module_twins.values()))
    assert running.connection_string not in stored
    assert "s3cret-never-sent-Kp4" not in stored + dry.stdout + dry.stderr
    # the recorded secrets themselves are resolved
    agent = running.hub.desired("plant-dmz", "$edgeAgent")
    assert agent is not None
    assert SECRETS["PLANT_DMZ_SYNC_TOKEN_PASSWORD"] in json.dumps(agent)


def test_deploy_refuses_a_manifest_edited_after_generate(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    manifest = out / "layer-1/plant-site-ops/deployment.json"
    manifest.write_text(manifest.read_text().replace("registry:0.9.0", "registry:latest"))
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 2
    assert result.stderr == (
        f"{out}/index.json:27:5: error: layer-1/plant-site-ops/deployment.json changed since "
        "acr-edge generate wrote it (its SHA-256 differs from index.json); generate again "
        "rather than edit generated files\n"
    )
    assert running.hub.requests == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda index: index["devices"][1].update(manifest="../../etc/passwd"),
         "'../../etc/passwd' leaves the output folder"),
        (lambda index: index["devices"][1].update(manifest="/etc/passwd"),
         "'/etc/passwd' leaves the output folder"),
        (lambda index: index["devices"].append(dict(index["devices"][3])),
         "device 'line-2-controller' is listed twice"),
        (lambda index: index["devices"].reverse(),
         "parent 'plant-site-ops' is not listed before it"),
    ],
    ids=["parent-folder", "absolute", "duplicate", "child-first"],
)  # fmt: skip
def test_deploy_refuses_an_index_that_acr_edge_could_not_have_written(
    out: Path,
    hub_for: Callable[..., RunningHub],
    cli: Callable[..., CliResult],
    edit: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    running = hub_for()
    index = json.loads((out / "index.json").read_text())
    edit(index)
    (out / "index.json").write_text(json.dumps(index, indent=2))
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"error: {message}\n" in result.stderr
    assert running.hub.requests == []


def test_deploy_refuses_a_manifest_linked_out_of_the_folder(
    out: Path, tmp_path: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    outside = tmp_path / "elsewhere.json"
    manifest = out / "layer-0/plant-dmz/deployment.json"
    outside.write_bytes(manifest.read_bytes())
    manifest.unlink()
    manifest.symlink_to(outside)
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 2
    assert "'layer-0/plant-dmz/deployment.json' leads out of the output folder" in result.stderr
    assert running.hub.requests == []


@pytest.mark.parametrize("rate", ["nan", "inf", "0", "-5"])
def test_deploy_keeps_its_rate_cap(out: Path, cli: Callable[..., CliResult], rate: str) -> None:
    result = cli("deploy", out, "--yes", "--rate", rate)
    assert result.exit_code == 2
    assert "--rate" in result.stderr


def test_deploy_without_yes_refuses_when_it_cannot_ask(
    out: Path, hub_for: Callable[..., RunningHub], cli: Callable[..., CliResult]
) -> None:
    running = hub_for()
    result = cli("deploy", out)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: deploy applies 4 device manifests to IoT Hub and cannot ask first (no terminal); "
        "pass --yes to apply, or --dry-run to see the plan\n"
    )
    assert running.hub.requests == []


def test_deploy_given_a_hierarchy_file_says_what_it_takes(cli: Callable[..., CliResult]) -> None:
    source = EXAMPLES / "two-layer.yaml"
    result = cli("deploy", source, "--yes")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {source} is a file; deploy takes the folder `acr-edge generate` wrote "
        f"(acr-edge generate {source} -o out, then acr-edge deploy out)\n"
    )


def test_deploy_device_typo_suggests_the_id(out: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("deploy", out, "--yes", "--device", "plant-dmx")
    assert result.exit_code == 2
    assert "no device 'plant-dmx' in this output; did you mean 'plant-dmz'?" in result.stderr
