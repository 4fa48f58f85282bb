"""The commands as a user or a CI pipeline meets them: exact output, exit codes, files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, SECRETS, CliResult, read_json


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding copies of the examples, as the current directory."""
    for example in EXAMPLES.glob("*.yaml"):
        shutil.copy(example, tmp_path / example.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


FIX_RETIRED = (
    "           fix: plan a move to the Arc extension; silence with "
    "`--disable connected-registry-on-iot-edge-retired`.\n"
)
RETIRED = (
    "info     connected registry on IoT Edge has been out of Microsoft support since "
    "2024-09-30  [connected-registry-on-iot-edge-retired]\n"
)


def test_generate_two_layer_prints_findings_and_what_it_wrote(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli("generate", "two-layer.yaml", "-o", "out")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (
        "two-layer.yaml\n"
        f"  41:7     {RETIRED}{FIX_RETIRED}"
        "wrote 2 manifests to out/ (layer-0: 1, layer-1: 1); "
        "0 errors, 0 warnings, 1 info in 3 files\n"
    )
    index = read_json(workdir / "out" / "index.json")
    assert index["hierarchy"] == "contoso-tutorial"
    assert index["generator"].startswith("acr-edge ")
    assert [(d["id"], d["parent"], d["layer"], d["manifest"]) for d in index["devices"]] == [
        ("top-layer", None, 0, "layer-0/top-layer/deployment.json"),
        ("lower-layer", "top-layer", 1, "layer-1/lower-layer/deployment.json"),
    ]


def test_generate_is_byte_for_byte_deterministic(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    assert cli("generate", "factory-isa95.yaml", "-o", "a").exit_code == 0
    assert cli("generate", "factory-isa95.yaml", "-o", "b").exit_code == 0
    files_a = sorted(p.relative_to("a") for p in Path("a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to("b") for p in Path("b").rglob("*") if p.is_file())
    assert files_a == files_b
    assert len(files_a) == 5
    for relative in files_a:
        assert (Path("a") / relative).read_bytes() == (Path("b") / relative).read_bytes()


def test_index_hashes_match_the_written_files(workdir: Path, cli: Callable[..., CliResult]) -> None:
    import hashlib

    assert cli("generate", "factory-isa95.yaml", "-o", "out").exit_code == 0
    index = read_json(workdir / "out" / "index.json")
    parents_first = [d["id"] for d in index["devices"]]
    assert parents_first == [
        "plant-dmz",
        "plant-site-ops",
        "line-1-controller",
        "line-2-controller",
    ]
    for device in index["devices"]:
        data = (workdir / "out" / device["manifest"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == device["sha256"]


def test_generate_json_report(workdir: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("generate", "two-layer.yaml", "-o", "out", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["written"] is True
    assert report["summary"] == {"files": 3, "errors": 0, "warnings": 0, "infos": 1}
    assert [d["id"] for d in report["devices"]] == ["top-layer", "lower-layer"]
    (first,) = report["diagnostics"]
    assert first == {
        "rule": "connected-registry-on-iot-edge-retired",
        "severity": "info",
        "message": "connected registry on IoT Edge has been out of Microsoft support since "
        "2024-09-30",
        "file": "two-layer.yaml",
        "pointer": "/devices/0/connected_registry",
        "line": 41,
        "column": 7,
    }
    # the pointer and line really lead to the value in the file
    lines = (workdir / "two-layer.yaml").read_text().splitlines()
    assert lines[38].strip() == "connected_registry:"
    assert lines[40][6:].startswith("name: topregistry")


def test_strict_blocks_writing_on_warnings(workdir: Path, cli: Callable[..., CliResult]) -> None:
    def unpinned_module(data: dict[str, Any]) -> None:
        data["devices"][0]["modules"] = {"sensor": {"image": "contoso/sensor:latest"}}

    _break(workdir / "two-layer.yaml", unpinned_module)
    result = cli("generate", "two-layer.yaml", "-o", "out", "--strict")
    assert result.exit_code == 1
    assert "[image-tag-not-pinned]" in result.stdout
    assert result.stderr == "nothing written: 0 errors, 1 warning, 1 info in 3 files\n"
    assert not Path("out").exists()


def test_disable_silences_a_rule(workdir: Path, cli: Callable[..., CliResult]) -> None:
    result = cli(
        "generate",
        "two-layer.yaml",
        "-o",
        "out",
        "--strict",
        "--disable",
        "proxy-route-target-unknown",
        "--disable",
        "connected-registry-on-iot-edge-retired",
    )
    assert result.exit_code == 0
    assert result.stdout == (
        "wrote 2 manifests to out/ (layer-0: 1, layer-1: 1); "
        "0 errors, 0 warnings, 0 infos in 3 files\n"
    )


def test_unknown_rule_name_is_a_usage_error(workdir: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("generate", "two-layer.yaml", "--disable", "host-port-conflicts")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown rule 'host-port-conflicts'; did you mean 'host-port-conflict'?\n"
    )


def _break(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    import yaml

    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_errors_block_writing_and_keep_the_previous_output(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    assert cli("generate", "two-layer.yaml", "-o", "out").exit_code == 0
    before = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}

    def child_syncs_more(data: dict[str, Any]) -> None:
        child = data["devices"][0]["children"][0]
        child["connected_registry"]["repositories"].append("not-synced-above")

    _break(workdir / "two-layer.yaml", child_syncs_more)
    result = cli("generate", "two-layer.yaml", "-o", "out")
    assert result.exit_code == 1
    assert "[repositories-not-subset]" in result.stdout
    assert result.stderr == "nothing written: 1 error, 0 warnings, 1 info in 3 files\n"
    after = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}
    assert after == before


def test_two_devices_with_one_id_are_never_written_over_each_other(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    def twin_child(data: dict[str, Any]) -> None:
        children = data["devices"][0]["children"]
        children.append({**children[0], "connected_registry": None})

    _break(workdir / "two-layer.yaml", twin_child)
    result = cli("generate", "two-layer.yaml", "-o", "out", "--disable", "device-id-duplicate")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: refusing to write layer-1/lower-layer/deployment.json twice "
        "(two devices share an id, or ids that differ only in case on a case-insensitive file system?)\n"
    )
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith((".", "out"))) == []


def test_refuses_to_replace_a_folder_it_did_not_write(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    Path("out").mkdir()
    Path("out/notes.txt").write_text("mine")
    result = cli("generate", "two-layer.yaml", "-o", "out")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: out: refusing to replace a folder acr-edge did not write (no acr-edge "
        "index.json in it); choose another -o or pass --force\n"
    )
    assert Path("out/notes.txt").read_text() == "mine"
    assert cli("generate", "two-layer.yaml", "-o", "out", "--force").exit_code == 0
    assert not Path("out/notes.txt").exists()
    assert Path("out/index.json").is_file()


def test_replacing_its_own_output_removes_stale_devices(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    assert cli("generate", "factory-isa95.yaml", "-o", "out").exit_code == 0
    assert cli("generate", "two-layer.yaml", "-o", "out").exit_code == 0
    written = sorted(str(p.relative_to("out")) for p in Path("out").rglob("*.json"))
    assert written == [
        "index.json",
        "layer-0/top-layer/deployment.json",
        "layer-1/lower-layer/deployment.json",
    ]
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []


def test_secrets_stay_references_unless_inlined(
    workdir: Path, cli: Callable[..., CliResult], secrets_env: dict[str, str]
) -> None:
    result = cli("generate", "two-layer.yaml", "-o", "out")
    assert result.exit_code == 0
    text = "".join(p.read_text() for p in Path("out").rglob("*.json"))
    assert "${TOP_SYNC_TOKEN_PASSWORD}" in text
    assert not any(value in text + result.stdout for value in SECRETS.values())

    result = cli("generate", "two-layer.yaml", "-o", "inlined", "--inline-secrets")
    assert result.exit_code == 0
    manifest = Path("inlined/layer-0/top-layer/deployment.json").read_text()
    assert SECRETS["TOP_SYNC_TOKEN_PASSWORD"] in manifest
    assert "${" not in manifest
    assert not any(value in result.stdout + result.stderr for value in SECRETS.values())


def test_inline_secrets_needs_every_secret(workdir: Path, cli: Callable[..., CliResult]) -> None:
    env = {name: None for name in SECRETS}
    result = cli("generate", "two-layer.yaml", "-o", "out", "--inline-secrets", env=env)
    assert result.exit_code == 2
    assert result.stderr == (
        "two-layer.yaml:57:19: error: environment variable TOP_SYNC_TOKEN_PASSWORD is not set "
        "(secret reference ${TOP_SYNC_TOKEN_PASSWORD})\n"
        "two-layer.yaml:74:23: error: environment variable LOWER_SYNC_TOKEN_PASSWORD is not set "
        "(secret reference ${LOWER_SYNC_TOKEN_PASSWORD})\n"
    )


def test_validate_examples_and_generated_output(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli("validate", "factory-isa95.yaml")
    assert result.exit_code == 0
    assert result.stdout == (
        "factory-isa95.yaml\n"
        f"  35:7     {RETIRED}{FIX_RETIRED}"
        "0 errors, 0 warnings, 1 info in 1 file\n"
    )
    assert cli("generate", "factory-isa95.yaml", "-o", "out").exit_code == 0
    result = cli("validate", "out", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["summary"] == {"files": 4, "errors": 0, "warnings": 0, "infos": 1}
    # a generated folder is one fleet: the retired registry is reported once, as for the
    # hierarchy, in the first manifest that runs one
    (retired,) = report["diagnostics"]
    assert retired["rule"] == "connected-registry-on-iot-edge-retired"
    assert retired["file"].startswith("out/layer-0/")


def test_validate_a_broken_manifest_points_at_the_line(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    assert cli("generate", "two-layer.yaml", "-o", "out").exit_code == 0
    path = Path("out/layer-0/top-layer/deployment.json")
    text = (
        path.read_text()
        .replace('\\"8000/tcp\\"', '\\"443/tcp\\"')
        .replace('{\\"HostPort\\":\\"8000\\"}', '{\\"HostPort\\":\\"443\\"}')
    )
    path.write_text(text)
    result = cli("validate", str(path), "--format", "json")
    assert result.exit_code == 1
    rules = {(d["rule"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]}
    # line 62 holds the API proxy's createOptions in the written file
    assert ("host-port-conflict", 62) in rules
    assert ("proxy-port-mismatch", 62) in rules


def test_validate_formats_sarif_and_github(workdir: Path, cli: Callable[..., CliResult]) -> None:
    sarif = json.loads(cli("validate", "two-layer.yaml", "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"connected-registry-on-iot-edge-retired"}
    retired = next(r for r in results if r["level"] == "note")
    assert retired["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "two-layer.yaml"},
        "region": {"startLine": 41, "startColumn": 7},
    }
    github = cli("validate", "two-layer.yaml", "--format", "github").stdout.splitlines()
    assert len(github) == 1
    assert github[0] == (
        "::notice file=two-layer.yaml,line=41,col=7,title=connected-registry-on-iot-edge-retired"
        "::connected registry on IoT Edge has been out of Microsoft support since 2024-09-30"
    )


def test_rules_lists_the_catalog(cli: Callable[..., CliResult]) -> None:
    result = cli("rules", "--format", "json")
    names = [r["name"] for r in json.loads(result.stdout)["rules"]]
    assert len(names) == len(set(names)) >= 42
    assert "host-port-conflict" in names and "image-not-synced" in names
    explained = cli("rules", "host-port-conflict")
    assert explained.stdout.startswith("host-port-conflict (error)\n  Two modules bind")


def test_schema_prints_a_bundled_schema(cli: Callable[..., CliResult]) -> None:
    schema = json.loads(cli("schema", "edgeagent-1.1").stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    missing = cli("schema", "nope")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: no schema 'nope'; choose one of: ")


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acr_edge_cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


def test_real_process_exit_codes_and_no_traceback(workdir: Path) -> None:
    assert _run("--version", cwd=workdir).stdout.startswith("acr-edge ")
    broken = workdir / "broken.yaml"
    broken.write_text("version: 1\nname: [unclosed\n")
    result = _run("generate", "broken.yaml", cwd=workdir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == (
        "broken.yaml:3:1: error: YAML syntax error: while parsing a flow sequence; "
        "did not find expected ',' or ']'\n"
    )
    assert _run("validate", "two-layer.yaml", cwd=workdir).returncode == 0
    assert _run("generate", cwd=workdir).returncode == 2  # usage: missing argument


@pytest.mark.skipif(
    shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
    reason="needs nginx (apt-get install nginx)",
)
def test_validate_nginx_runs_nginx_on_each_proxy(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    import base64

    assert cli("generate", "factory-isa95.yaml", "-o", "out").exit_code == 0
    assert cli("validate", "out", "--nginx").exit_code == 0
    path = Path("out/layer-1/plant-site-ops/deployment.json")
    manifest = json.loads(path.read_text())
    broken = "events {}\nhttp { server { listen ${NGINX_DEFAULT_PORT}; proxy_pas x; } }\n"
    manifest["modulesContent"]["IoTEdgeAPIProxy"] = {
        "properties.desired": {"proxy_config": base64.b64encode(broken.encode()).decode()}
    }
    path.write_text(json.dumps(manifest, indent=2))
    result = cli("validate", "out", "--nginx", "--format", "json")
    assert result.exit_code == 1
    (finding,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["rule"] == "nginx"]
    assert finding["file"] == str(path)
    assert 'unknown directive "proxy_pas"' in finding["message"]


@pytest.mark.parametrize(
    ("missing", "note"),
    [(("nginx",), "nginx"), (("openssl",), "openssl"), (("nginx", "openssl"), "nginx and openssl")],
)
def test_validate_nginx_without_its_tools_says_so(
    workdir: Path,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    missing: tuple[str, ...],
    note: str,
) -> None:
    """Whichever is missing, the check is skipped with a note, never a crash."""
    import shutil

    from acr_edge_cli import proxyconfig

    found = shutil.which
    monkeypatch.setattr(proxyconfig, "_program", lambda n: None if n in missing else f"/bin/{n}")
    monkeypatch.setattr(
        shutil, "which", lambda n: None if n in missing else found(n) or f"/bin/{n}"
    )
    result = cli("validate", "two-layer.yaml", "--nginx")
    assert result.exit_code == 0
    assert result.stderr == f"note: {note} not installed; --nginx checks skipped\n"


def test_generate_as_configurations_then_validate_them(
    workdir: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli("generate", "factory-isa95.yaml", "-o", "out", "--as", "configurations")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "wrote 5 deployments for 4 devices to out/configurations/; "
        "0 errors, 0 warnings, 1 info in 6 files"
    )
    index = read_json(workdir / "out" / "index.json")
    assert index["mode"] == "configurations"
    assert [c["priority"] for c in index["configurations"]] == [10, 10, 10, 20, 20]
    layered = read_json(workdir / "out" / index["configurations"][3]["file"])
    assert set(layered["content"]["modulesContent"]["$edgeAgent"]) >= {
        "properties.desired.modules.OPCPublisher"
    }
    checked = cli("validate", "out", "--format", "json")
    assert checked.exit_code == 0
    assert json.loads(checked.stdout)["summary"]["files"] == 5


@pytest.mark.parametrize(
    "args",
    [["--debug", "validate", "EXAMPLE"], ["validate", "EXAMPLE", "--debug"],
     ["validate", "--debug", "EXAMPLE"]],
    ids=["before", "after", "between"],
)  # fmt: skip
def test_debug_is_accepted_after_the_command_too(args: list[str]) -> None:
    import subprocess
    import sys

    command = [a.replace("EXAMPLE", str(EXAMPLES / "two-layer.yaml")) for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "acr_edge_cli", *command], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "No such option" not in result.stderr


def test_github_annotations_cannot_be_injected_through_file_names(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "bad\n::error file=x::injected.json").write_text('{"a": 1')
    missing = tmp_path / "gone\r\n::warning::injected.yaml"
    result = cli("validate", folder, missing, "--format", "github")
    assert result.exit_code == 2
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("::error file=") for line in lines)
    assert "%0A%3A%3Aerror file=x%3A%3Ainjected.json" in lines[0] + lines[1]
    assert "%0D%0A%3A%3Awarning%3A%3Ainjected.yaml" in lines[0] + lines[1]


def test_validate_report_writes_the_report_to_a_file(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    """For CI steps that run no shell (the GitHub action, the Azure Pipelines template)."""
    report = tmp_path / "acr-edge.sarif"
    result = cli("validate", EXAMPLES / "two-layer.yaml", "--format", "sarif", "--report", report)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"0 errors, 0 warnings, 1 info in 1 file; report in {report}\n"
    assert json.loads(report.read_text())["version"] == "2.1.0"
    plain = cli("validate", EXAMPLES / "two-layer.yaml", "--report", report)
    assert plain.exit_code == 2
    assert plain.stderr == "error: --report writes a json, sarif or github report: add --format\n"
