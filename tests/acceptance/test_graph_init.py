"""`graph` (golden outputs; the Mermaid one parsed by Mermaid) and `init`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, GOLDEN, CliResult

MERMAID = Path(__file__).resolve().parent.parent / "mermaid"
CASES = [
    (example.stem, fmt, suffix)
    for example in sorted(EXAMPLES.glob("*.yaml"))
    for fmt, suffix in (("tree", "txt"), ("mermaid", "mmd"), ("dot", "dot"))
]


@pytest.mark.parametrize(("example", "fmt", "suffix"), CASES)
def test_graph_matches_golden(
    example: str, fmt: str, suffix: str, cli: Callable[..., CliResult], update_golden: bool
) -> None:
    result = cli("graph", EXAMPLES / f"{example}.yaml", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / "graph" / f"{example}.{suffix}"
    if update_golden:
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()


def _mermaid_parser() -> list[str] | None:
    node = shutil.which("node")
    if node is None or not (MERMAID / "node_modules" / "mermaid").is_dir():
        return None
    return [node, str(MERMAID / "parse.mjs")]


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_mermaid_output_parses_with_mermaid(example: str, tmp_path: Path) -> None:
    parser = _mermaid_parser()
    if parser is None:
        message = "needs node and `npm install` in tests/mermaid"
        if os.environ.get("ACR_EDGE_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    diagram = tmp_path / "graph.mmd"
    diagram.write_text((GOLDEN / "graph" / f"{example}.mmd").read_text())
    result = subprocess.run([*parser, str(diagram)], capture_output=True, text=True, check=False)
    assert json.loads(result.stdout) == {"ok": True, "type": "flowchart-v2"}
    broken = tmp_path / "broken.mmd"
    broken.write_text(diagram.read_text().replace('["', "[[", 1))
    refused = subprocess.run([*parser, str(broken)], capture_output=True, text=True, check=False)
    assert refused.returncode == 1  # the parser does refuse what is not Mermaid


@pytest.mark.parametrize(("choice", "devices"), [("two-layer", 2), ("isa95", 4)])
def test_init_writes_a_hierarchy_that_generates(
    choice: str, devices: int, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli("init", tmp_path / "plant", "--example", choice)
    assert result.exit_code == 0
    text = (tmp_path / "plant" / "hierarchy.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=hierarchy.schema.json\n")
    assert "#" in text.splitlines()[1]  # commented for the reader
    generated = cli("generate", tmp_path / "plant" / "hierarchy.yaml", "-o", tmp_path / "out")
    assert generated.exit_code == 0
    assert len(json.loads((tmp_path / "out" / "index.json").read_text())["devices"]) == devices
    again = cli("init", tmp_path / "plant")
    assert again.exit_code == 2
    assert (
        again.stderr
        == f"error: {tmp_path / 'plant' / 'hierarchy.yaml'} exists; pass --force to replace it\n"
    )


def test_inits_example_explains_every_key_the_first_time_it_appears() -> None:
    lines = (EXAMPLES / "two-layer.yaml").read_text().splitlines()
    explained: set[str] = set()
    for number, line in enumerate(lines):
        key = re.match(r"^\s*(?:- )?([a-z_]+):", line)
        if not key or key.group(1) in explained:
            continue
        previous = next(p for p in reversed(lines[:number]) if p.strip())
        assert previous.strip().startswith("#") or "#" in line, f"line {number + 1}: {line}"
        explained.add(key.group(1))
    assert {"blob_upload_route", "sync_token", "repositories", "children"} <= explained


def test_the_blob_route_is_written_only_where_its_module_runs(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    """The example's default blob route names a module no device runs: no manifest gets
    BLOB_UPLOAD_ROUTE_ADDRESS (uploads go on to the parent), and nothing warns. A device
    that runs the module gets it; its child does not."""
    import yaml

    result = cli("generate", EXAMPLES / "two-layer.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert "0 errors, 0 warnings" in result.stdout
    for manifest in (tmp_path / "out").rglob("deployment.json"):
        assert "BLOB_UPLOAD_ROUTE_ADDRESS" not in manifest.read_text()
    data = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    data["devices"][0]["modules"] = {
        "AzureBlobStorageonIoTEdge": {"image": "azure-blob-storage:1.4"}
    }
    data["devices"][0]["connected_registry"]["repositories"].append("azure-blob-storage")
    data["devices"][0]["children"][0]["connected_registry"]["repositories"].append(
        "azure-blob-storage"
    )
    source = tmp_path / "with-blob.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("generate", source, "-o", tmp_path / "blob")
    assert result.exit_code == 0, result.stdout
    top = (tmp_path / "blob/layer-0/top-layer/deployment.json").read_text()
    lower = (tmp_path / "blob/layer-1/lower-layer/deployment.json").read_text()
    assert (
        '"BLOB_UPLOAD_ROUTE_ADDRESS": {\n                "value": "AzureBlobStorageonIoTEdge:11002"'
        in top
    )
    assert "BLOB_UPLOAD_ROUTE_ADDRESS" not in lower
