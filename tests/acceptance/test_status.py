"""`acr-edge status` and `deploy --wait` against the local IoT Hub, whose `$edgeAgent` twins
report what the edge runtime writes (tests/iothub/server.py, report_as_runtime)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from acr_edge_cli import status as statuses
from tests.acceptance.test_deploy import PARENTS, at_scale, hub_for, out  # noqa: F401 - fixtures
from tests.conftest import CliResult
from tests.iothub.server import RunningHub


@pytest.fixture
def deployed(
    out: Path,  # noqa: F811
    hub_for: Callable[..., RunningHub],  # noqa: F811
    cli: Callable[..., CliResult],
) -> Iterator[RunningHub]:
    running = hub_for()
    assert cli("deploy", out, "--yes").exit_code == 0
    yield running


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statuses, "POLL_SECONDS", 0.2)


def _states(result: CliResult) -> dict[str, tuple[str, list[str]]]:
    report = json.loads(result.stdout)
    return {d["id"]: (d["state"], d["reasons"]) for d in report["devices"]}


def test_every_device_converged_and_healthy_is_exit_0(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    for device in PARENTS:
        deployed.hub.report_as_runtime(device)
    result = cli("status", out)
    assert result.exit_code == 0, result.stdout
    host = deployed.connection_string.split(";")[0].split("=")[1]
    assert result.stdout == (
        f"{host}\n"
        "└── ok  plant-dmz  layer 0  version 2\n"
        "    └── ok  plant-site-ops  layer 1  version 2\n"
        "        ├── ok  line-1-controller  layer 2  version 2\n"
        "        └── ok  line-2-controller  layer 2  version 2\n"
        "4 of 4 converged\n"
    )


def test_a_device_lagging_a_version_is_named_with_the_reason(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    for device in PARENTS:
        deployed.hub.report_as_runtime(device, applied=device != "line-1-controller")
    result = cli("status", out, "--format", "json")
    assert result.exit_code == 1
    states = _states(result)
    assert states["line-1-controller"] == (
        "not converged",
        ["edgeAgent has not applied version 2 (it reports version 1)"],
    )
    assert {d: s for d, (s, _) in states.items() if d != "line-1-controller"} == {
        "plant-dmz": "converged", "plant-site-ops": "converged", "line-2-controller": "converged"
    }  # fmt: skip


def test_a_module_in_backoff_says_its_exit_code_and_last_start(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    for device in PARENTS:
        deployed.hub.report_as_runtime(device)
    backoff = {
        "runtimeStatus": "backoff",
        "exitCode": 139,
        "lastStartTimeUtc": "2026-12-02T10:05:00Z",
    }
    deployed.hub.report_as_runtime("line-2-controller", modules={"OPCPublisher": backoff})
    result = cli("status", out, "--format", "json")
    assert result.exit_code == 1
    assert _states(result)["line-2-controller"] == (
        "not converged",
        ["OPCPublisher is backoff, not running (exit code 139; last started 2026-12-02T10:05:00Z)"],
    )


def test_an_unhealthy_parent_is_named_first(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    deployed.hub.report_as_runtime("plant-dmz")
    deployed.hub.report_as_runtime("plant-site-ops", code=400, description="bad content")
    deployed.hub.report_as_runtime("line-1-controller", applied=False)
    deployed.hub.report_as_runtime("line-2-controller")
    states = _states(cli("status", out, "--format", "json"))
    assert states["plant-site-ops"][1] == [
        "edgeAgent reports 400: the deployment configuration is invalid (bad content)"
    ]
    assert states["line-1-controller"][1][0] == (
        "its parent 'plant-site-ops' is not healthy: look there first"
    )


def test_wait_returns_as_soon_as_the_devices_converge(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    def runtime_catches_up() -> None:
        time.sleep(1.0)
        for device in PARENTS:
            deployed.hub.report_as_runtime(device)

    threading.Thread(target=runtime_catches_up, daemon=True).start()
    started = time.monotonic()
    result = cli("status", out, "--wait", "--timeout", "60s", "--format", "json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0
    assert 1.0 <= elapsed < 5
    assert json.loads(result.stdout)["converged"] is True


def test_wait_stops_at_the_timeout_when_nothing_converges(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    started = time.monotonic()
    result = cli("status", out, "--wait", "--timeout", "2s", "--format", "json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert 2 <= elapsed < 6
    assert {s for s, _ in _states(result).values()} == {"not converged"}


def test_wrong_credentials_are_exit_3(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = deployed.connection_string.rsplit("=", 2)[0] + "=" + "A" * 43 + "="
    monkeypatch.setenv("IOTHUB_CONNECTION_STRING", wrong)
    result = cli("status", out)
    assert result.exit_code == 3
    assert result.stderr == "error: IoT Hub refused the credentials (401 Unauthorized)\n"


def test_deploy_wait_deploys_then_waits_for_the_runtime(
    out: Path,  # noqa: F811
    hub_for: Callable[..., RunningHub],  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    running = hub_for()
    stop = threading.Event()

    def edge_runtime() -> None:  # each device reports once deploy has applied to it
        reported: set[str] = set()
        while not stop.is_set() and reported != set(PARENTS):
            for device in set(running.hub.applied) - reported:
                time.sleep(0.1)
                running.hub.report_as_runtime(device)
                reported.add(device)
            time.sleep(0.05)

    runtime = threading.Thread(target=edge_runtime, daemon=True)
    runtime.start()
    try:
        result = cli("deploy", out, "--yes", "--wait", "--timeout", "60s", "--format", "json")
    finally:
        stop.set()
    assert result.exit_code == 0, result.stdout
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["summary"]["applied"] == 4
    assert report["status"]["converged"] is True


def test_automatic_deployments_are_judged_by_their_metrics(
    at_scale: Path,  # noqa: F811
    hub_for: Callable[..., RunningHub],  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    running = hub_for()
    assert cli("deploy", at_scale, "--yes").exit_code == 0
    ids = sorted(running.hub.configurations)
    for config_id in ids:
        running.hub.set_system_metrics(
            config_id, targetedCount=2, appliedCount=2, reportedSuccessfulCount=2,
            reportedFailedCount=0,
        )  # fmt: skip
    assert cli("status", at_scale).exit_code == 0
    running.hub.set_system_metrics(
        ids[0], targetedCount=2, appliedCount=2, reportedSuccessfulCount=1, reportedFailedCount=1
    )
    result = cli("status", at_scale, "--format", "json")
    assert result.exit_code == 1
    (failing,) = [d for d in json.loads(result.stdout)["deployments"] if d["state"] != "converged"]
    assert failing == {
        "id": ids[0], "state": "not converged", "targeted": 2, "applied": 2,
        "reported_successful": 1, "reported_failed": 1,
    }  # fmt: skip


def test_automatic_deployments_not_in_the_hub_are_named(
    at_scale: Path,  # noqa: F811
    hub_for: Callable[..., RunningHub],  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    hub_for()
    result = cli("status", at_scale, "--format", "json")
    assert result.exit_code == 1
    assert {d["state"] for d in json.loads(result.stdout)["deployments"]} == {"not deployed"}


def test_a_device_that_never_reported_gets_one_reason(
    deployed: RunningHub,
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    for device in ("plant-dmz", "plant-site-ops", "line-2-controller"):
        deployed.hub.report_as_runtime(device)
    assert _states(cli("status", out, "--format", "json"))["line-1-controller"] == (
        "not converged",
        ["the edge runtime has not reported anything yet (is the device online and running "
         "IoT Edge?)"],
    )  # fmt: skip


def test_deploy_wait_with_a_dry_run_is_a_usage_error(
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    result = cli("deploy", out, "--dry-run", "--wait")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --wait waits for what deploy applies; a --dry-run applies nothing\n"
    )
