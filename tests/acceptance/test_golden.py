"""The examples render exactly the committed manifests (pytest --update-golden rewrites them)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, GOLDEN, CliResult

EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_matches_golden_files(
    name: str, tmp_path: Path, cli: Callable[..., CliResult], update_golden: bool
) -> None:
    out = tmp_path / "out"
    result = cli("generate", EXAMPLES / f"{name}.yaml", "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    golden = GOLDEN / name
    if update_golden:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(out, golden)
    assert _tree(out) == _tree(golden)


def test_every_example_has_golden_files() -> None:
    manifests = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and p.name != "graph")
    assert manifests == EXAMPLE_NAMES
