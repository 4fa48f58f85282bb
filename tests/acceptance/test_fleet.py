"""A fleet large enough for forked workers: the output does not depend on how many render it,
findings in any device's manifest still name its file and line, and a generate that finds an
error leaves no trace on disk however far it had written."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from acr_edge_cli.workers import PARALLEL_THRESHOLD
from tests.conftest import EXAMPLES, CliResult

sys.path.insert(0, str(EXAMPLES.parent / "benchmarks"))
from make_hierarchy import hierarchy

DEVICES = PARALLEL_THRESHOLD + 44


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNC_PASSWORD", "fleet-secret-Kd4")
    source = tmp_path / "fleet.yaml"
    source.write_text(hierarchy(DEVICES), encoding="utf-8")
    return source


def test_the_output_is_the_same_whatever_the_number_of_workers(
    fleet: Path, tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    trees = []
    for workers in ("1", "2", "3"):
        monkeypatch.setenv("ACR_EDGE_WORKERS", workers)
        out = tmp_path / f"out-{workers}"
        result = cli("generate", fleet, "-o", out)
        assert result.exit_code == 0, result.stdout + result.stderr
        trees.append(_tree(out))
    assert len(trees[0]) == DEVICES + 1  # and index.json
    assert trees[0] == trees[1] == trees[2]


def _device(node: Any, device_id: str) -> dict[str, Any] | None:
    for device in node:
        if device["id"] == device_id:
            return cast(dict[str, Any], device)
        found = _device(device.get("children", []), device_id)
        if found is not None:
            return found
    return None


def test_an_error_in_one_manifest_is_located_and_nothing_is_written(
    fleet: Path, tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A twin value over 4 KB is found in the rendered manifest only, after the workers have
    # rendered (and the main process written) most of the fleet.
    data = yaml.safe_load(fleet.read_text(encoding="utf-8"))
    device = _device(data["devices"], f"device-{DEVICES - 10:06d}")
    assert device is not None
    big = {"image": "contoso/sensor:2.1.0", "desired_properties": {"note": "x" * 5000}}
    device["modules"]["big"] = big
    source = tmp_path / "fleet.json"
    source.write_text(json.dumps(data, indent=1), encoding="utf-8")
    fleet.unlink()
    monkeypatch.setenv("ACR_EDGE_WORKERS", "2")
    out = tmp_path / "out"
    result = cli("generate", source, "-o", out)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert re.search(
        rf"^{re.escape(str(out))}/layer-\d/{device['id']}/deployment\.json\n"
        r" +\d+:\d+ +error +value is 5000 bytes; a twin value holds at most 4096 "
        r" \[twin-value-too-large\]\n",
        result.stdout,
        re.MULTILINE,
    ), result.stdout
    assert result.stderr == f"nothing written: 1 error, 0 warnings, 1 info in {DEVICES + 1} files\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.json"]


def test_a_generated_folder_is_validated_alike_by_any_number_of_workers(
    fleet: Path, tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert cli("generate", fleet, "-o", out).exit_code == 0
    # Break one manifest late in the folder, and make another unreadable.
    manifests = sorted(out.glob("layer-2/*/deployment.json"))
    broken, unreadable = manifests[-3], manifests[-7]
    content = json.loads(broken.read_text(encoding="utf-8"))
    hub = content["modulesContent"]["$edgeHub"]["properties.desired"]
    hub["routes"]["sensorToUpstream"] = "FROM /messages/modules/ghost/* INTO $upstream"
    broken.write_text(json.dumps(content, indent=2), encoding="utf-8")
    unreadable.write_text('{"modulesContent": NaN}', encoding="utf-8")
    reports = []
    for workers in ("1", "2", "3"):
        monkeypatch.setenv("ACR_EDGE_WORKERS", workers)
        result = cli("validate", out, "--format", "json")
        assert result.exit_code == 2, result.stderr
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1] == reports[2]
    problems = {
        (d["file"], d["rule"], d["message"])
        for d in reports[0]["diagnostics"]
        if d["severity"] != "info"
    }
    assert problems == {
        (
            str(broken),
            "route-unknown-module",
            "route 'sensorToUpstream': source module 'ghost' is not in this deployment",
        ),
        (str(unreadable), "input", "JSON syntax error: NaN is not a JSON value"),
    }
