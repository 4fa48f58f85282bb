"""The Resource Manager client layer against the local ARM: what its answers mean."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from acr_edge_cli.arm import ArmClient, ArmError, ArmSettings, RegistryId, arm_settings
from acr_edge_cli.calls import CallError, Deadline, RetryPolicy
from tests.arm.server import RunningArm, running_arm


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningArm]:
    with running_arm(tmp_path, retry_after="1") as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_file))
        yield running


def _client(local: RunningArm, **kwargs: object) -> ArmClient:
    registry = RegistryId.parse(local.resource_id)
    assert registry is not None
    settings = ArmSettings(local.endpoint, None, local.arm.token, 0.01)
    return ArmClient(settings, registry, **kwargs)  # type: ignore[arg-type]


def test_retry_after_is_honoured(local: RunningArm) -> None:
    local.arm.faults.script = ["429"]
    client = _client(local)
    started = time.monotonic()
    assert client.get_registry() is not None
    assert time.monotonic() - started >= 1.0  # ARM said: Retry-After: 1
    assert [status for _, _, status in local.arm.requests] == [429, 200]


def test_a_long_running_operation_is_polled_as_arm_says(local: RunningArm) -> None:
    client = _client(local)
    started = time.monotonic()
    client.put_scope_map("pulls", ["repositories/hub/content/read"], "test")
    # PUT 201 + Azure-AsyncOperation; azure-core polls at once, then (InProgress) after
    # ARM's Retry-After of 1 s, then reads the resource
    assert time.monotonic() - started >= 1.0
    methods = [(method, path.rsplit("/", 2)[-2]) for method, path, _ in local.arm.requests]
    assert methods == [("PUT", "scopeMaps"), ("GET", "operationStatuses"),
                       ("GET", "operationStatuses"), ("GET", "scopeMaps")]  # fmt: skip


def test_errors_carry_arms_code_and_the_deadline_stops_retries(local: RunningArm) -> None:
    client = _client(local)
    with pytest.raises(CallError, match=r"^TokenNotFound: The sync token") as bad:
        client.create_connected_registry("edge1", {"mode": "ReadOnly", "parent": {
            "syncProperties": {"tokenId": "missing"}}})  # fmt: skip
    assert bad.value.status == 400 and bad.value.attempts == 1
    local.arm.faults.rate = 1.0
    local.arm.faults.kinds = ("500",)
    impatient = _client(local, deadline=Deadline(0.5), retry=RetryPolicy(base=0.2))
    started = time.monotonic()
    with pytest.raises(CallError):
        impatient.get_registry()
    assert time.monotonic() - started < 2.0


def test_refused_credentials_and_untrusted_tls_are_service_errors(
    local: RunningArm, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = RegistryId.parse(local.resource_id)
    assert registry is not None
    wrong = ArmClient(ArmSettings(local.endpoint, None, "wrong", 0.01), registry)
    with pytest.raises(ArmError, match=r"refused the credentials \(401\)"):
        wrong.get_registry()
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(ArmError, match="is not trusted"):
        _client(local).get_registry()


def test_settings_per_cloud_and_endpoint() -> None:
    china = arm_settings("AzureChinaCloud", {}, "TOKEN")
    assert (china.endpoint, china.authority, china.token) == (
        "https://management.chinacloudapi.cn", "login.chinacloudapi.cn", None,
    )  # fmt: skip
    local = arm_settings("AzureCloud", {"ACR_EDGE_ARM_ENDPOINT": "https://localhost:9/",
                                        "TOKEN": "t"}, "TOKEN")  # fmt: skip
    assert (local.endpoint, local.token) == ("https://localhost:9", "t")
    with pytest.raises(ValueError, match="must be an https:// URL"):
        arm_settings("AzureCloud", {"ACR_EDGE_ARM_ENDPOINT": "http://x"}, "TOKEN")
    assert RegistryId.parse("/subscriptions/s/resourceGroups/g/providers/x/registries/r") is None


def test_an_operation_that_never_finishes_ends_at_the_deadline(local: RunningArm) -> None:
    local.arm.stuck = True
    local.arm.retry_after = "0"
    client = _client(local, deadline=Deadline(1.5))
    started = time.monotonic()
    with pytest.raises(CallError, match="still InProgress when the run's deadline passed"):
        client.put_scope_map("pulls", ["repositories/hub/content/read"], "test")
    assert time.monotonic() - started < 3.0
