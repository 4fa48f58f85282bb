"""Recognisable secret values go in; no command prints them, whatever it is asked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from acr_edge_cli.generate import generate, write_generated
from tests.conftest import EXAMPLES, SECRETS, CliResult
from tests.iothub.server import RunningHub, running_hub

HUB_KEY_MARK = "SharedAccessKey="


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningHub]:
    with running_hub(tmp_path) as running:
        running.hub.add_device("top-layer")
        running.hub.add_device("lower-layer", parent="top-layer")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_file))
        monkeypatch.setenv("IOTHUB_CONNECTION_STRING", running.connection_string)
        yield running


def test_no_command_prints_a_secret(
    tmp_path: Path,
    cli: Callable[..., CliResult],
    secrets_env: dict[str, str],
    hub: RunningHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    hub_key = hub.connection_string.split(HUB_KEY_MARK)[1]
    literal = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    literal["devices"][0]["connected_registry"]["sync_token"]["password"] = "literal-Qx7-secret"
    (tmp_path / "literal.yaml").write_text(yaml.safe_dump(literal))
    wrong_type = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    wrong_type["devices"][0]["connected_registry"]["sync_token"]["password"] = 918273645
    (tmp_path / "wrong-type.yaml").write_text(yaml.safe_dump(wrong_type))
    example = str(EXAMPLES / "two-layer.yaml")

    runs = [
        ("generate", example, "-o", "out"),
        ("generate", example, "-o", "inlined", "--inline-secrets"),
        ("generate", example, "-o", "inlined-json", "--inline-secrets", "--format", "json"),
        ("generate", "literal.yaml", "-o", "literal-out"),
        ("generate", "wrong-type.yaml", "-o", "wrong"),
        ("validate", example),
        ("validate", "inlined"),
        ("validate", "inlined", "--format", "json"),
        ("validate", "inlined", "--format", "sarif"),
        ("validate", "inlined", "--format", "github"),
        ("validate", "literal.yaml", "--format", "json"),
        ("deploy", "out", "--dry-run"),
        ("deploy", "out", "--yes"),
        ("deploy", "out", "--yes", "--format", "json"),
        ("rules",),
        ("schema", "hierarchy"),
    ]
    outputs = []
    for args in runs:
        result = cli(*args)
        assert result.exit_code in (0, 1, 2), (args, result.stdout, result.stderr)
        outputs.append(result.stdout + result.stderr)
    # rotated secrets: the dry run diffs old and new values
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value + "-next")
    for fmt in ("text", "json"):
        outputs.append(cli("deploy", "out", "--dry-run", "--format", fmt).stdout)
    # a broken connection string: the error must not echo it
    monkeypatch.setenv("IOTHUB_CONNECTION_STRING", f"HostName=;{HUB_KEY_MARK}{hub_key}")
    broken = cli("deploy", "out", "--yes")
    assert broken.exit_code == 3
    outputs.append(broken.stdout + broken.stderr)

    text = "\n".join(outputs)
    assert "literal secret" in text  # literal-secret was reported...
    for secret in [*SECRETS.values(), "literal-Qx7-secret", "918273645", hub_key]:
        assert secret not in text  # ...without showing the value
    # and the inlined files do hold the secrets: the output is masked, not the data
    assert (
        SECRETS["TOP_SYNC_TOKEN_PASSWORD"]
        in (tmp_path / "inlined/layer-0/top-layer/deployment.json").read_text()
    )


def test_deploy_with_an_unreadable_connection_string_says_so_in_one_line(
    tmp_path: Path,
    cli: Callable[..., CliResult],
    secrets_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    write_generated(generate(EXAMPLES / "two-layer.yaml", output=str(out), environ={}), out)
    monkeypatch.setenv("IOTHUB_CONNECTION_STRING", "this is not one; SharedAccessKey=abc")
    result = cli("deploy", out, "--yes")
    assert result.exit_code == 3
    assert result.stderr == "error: the IoT Hub connection string is not valid\n"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_schema_findings_never_quote_a_secret(
    tmp_path: Path, cli: Callable[..., CliResult], fmt: str
) -> None:
    """A password of the wrong type, or an object holding one where a string belongs,
    is reported at its place without its value."""
    manifest = tmp_path / "deployment.json"
    generated = tmp_path / "out"
    assert cli("generate", EXAMPLES / "two-layer.yaml", "-o", generated).exit_code == 0
    content = json.loads((generated / "layer-0/top-layer/deployment.json").read_text())
    credentials = content["modulesContent"]["$edgeAgent"]["properties.desired"]["runtime"][
        "settings"
    ]["registryCredentials"]
    credentials["cloudregistry"]["password"] = 918273645
    credentials["other"] = {
        "username": "u",
        "password": "s3cret-Vq1",
        "address": {"password": "s3cret-Wr2"},
    }
    manifest.write_text(json.dumps(content, indent=2))
    result = cli("validate", manifest, "--format", fmt)
    assert result.exit_code == 1
    for secret in ("918273645", "s3cret-Vq1", "s3cret-Wr2"):
        assert secret not in result.stdout + result.stderr
    # reported by the rule that names the problem (the schema's findings at the same
    # places give way to it), by type, never by value
    assert "registry-credentials-invalid" in result.stdout
