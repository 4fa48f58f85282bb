"""`deploy` never waits without a deadline, never reads an unbounded answer, and stops with
exit 3 at once when the other end is not an IoT Hub it can trust."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from acr_edge_cli import iothub
from tests.acceptance.test_deploy import hub_for, out  # noqa: F401 - fixtures
from tests.conftest import CliResult
from tests.iothub.server import Answer, Faults, RunningHub, running_hub, running_impostor


@pytest.fixture
def impostor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets_env: dict[str, str]
) -> Iterator[Callable[[Answer], None]]:
    stack = []

    def start(answer: Answer) -> None:
        context = running_impostor(tmp_path, answer)
        connection_string, ca_file, _ = context.__enter__()
        stack.append(context)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
        monkeypatch.setenv("IOTHUB_CONNECTION_STRING", connection_string)

    yield start
    for context in stack:
        context.__exit__(None, None, None)


def test_an_untrusted_certificate_stops_at_once_with_exit_3(
    out: Path,  # noqa: F811
    tmp_path: Path,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    secrets_env: dict[str, str],
) -> None:
    with running_hub(tmp_path) as running:
        monkeypatch.setenv("IOTHUB_CONNECTION_STRING", running.connection_string)
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # the system's CAs only
        started = time.monotonic()
        result = cli("deploy", out, "--yes")
        elapsed = time.monotonic() - started
    host = running.connection_string.split(";")[0].split("=")[1]
    assert result.exit_code == 3
    assert result.stderr == f"error: the TLS certificate of {host} is not trusted\n"
    assert elapsed < 5  # no retries: a certificate does not become trusted by waiting
    assert len(running.hub.requests) == 0


def test_a_host_that_is_no_iot_hub_is_not_reported_as_missing_devices(
    out: Path,  # noqa: F811
    impostor: Callable[[Answer], None],
    cli: Callable[..., CliResult],
) -> None:
    impostor(Answer(status=404))
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: localhost:")
    assert result.stderr.endswith(
        " answered 404 without an IoT Hub error code: is it an IoT Hub's host name?\n"
    )


def test_garbage_instead_of_json_is_exit_3_not_an_internal_error(
    out: Path,  # noqa: F811
    impostor: Callable[[Answer], None],
    cli: Callable[..., CliResult],
) -> None:
    impostor(Answer(status=200, body=b"{not json", content_type="application/json"))
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 3
    assert result.stderr.endswith(" answered with something that is not IoT Hub's JSON\n")


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_an_answer_past_the_size_limit_is_not_read(
    out: Path,  # noqa: F811
    impostor: Callable[[Answer], None],
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    chunked: bool,
) -> None:
    monkeypatch.setattr(iothub, "MAX_BODY", 10_000)
    impostor(Answer(status=200, body=b"[" + b" " * 50_000 + b"]", chunked=chunked))
    result = cli("deploy", out, "--yes", "--format", "json")
    assert result.exit_code == 1
    assert "IoT Hub answered 200" not in result.stdout
    assert "answer is larger than 10000 bytes" in result.stdout


def test_retry_after_a_day_is_not_followed_and_the_deadline_holds(
    out: Path,  # noqa: F811
    hub_for: Callable[..., RunningHub],  # noqa: F811
    cli: Callable[..., CliResult],
) -> None:
    hub_for(Faults(rate=1.0, kinds=("429-retry-after-a-day",), paths=r"applyConfigurationContent"))
    started = time.monotonic()
    result = cli("deploy", out, "--yes", "--timeout", "3s", "--format", "json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert elapsed < 10
    assert "gave up: the run's deadline of 3 s passed" in result.stdout


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "5d"])
def test_a_timeout_that_is_no_duration_is_a_usage_error(
    out: Path,  # noqa: F811
    cli: Callable[..., CliResult],
    timeout: str,
) -> None:
    result = cli("deploy", out, "--yes", "--timeout", timeout)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --timeout {timeout}: give a duration above 0, such as 90s, 10m or 1h\n"
    )
