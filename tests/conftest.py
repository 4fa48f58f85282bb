"""Shared fixtures: a CLI runner, the examples, and the golden-file update flag."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from acr_edge_cli.cli import app

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
#: Values for the examples' secret references; tests grep output for them.
SECRETS = {
    "TOP_SYNC_TOKEN_PASSWORD": "s3cret-top-Zq9",
    "LOWER_SYNC_TOKEN_PASSWORD": "s3cret-lower-Xw8",
    "PLANT_DMZ_SYNC_TOKEN_PASSWORD": "s3cret-dmz-Vu7",
    "PLANT_SITE_OPS_SYNC_TOKEN_PASSWORD": "s3cret-ops-Ts6",
    "LINE_CONTROLLERS_TOKEN_PASSWORD": "s3cret-line-Rp5",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run acr-edge in-process with a fixed terminal: no colour, wide lines."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str | Path, env: dict[str, str] | None = None) -> CliResult:
        result = CliRunner(env=env).invoke(app, [str(a) for a in args], catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


def load_example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def hierarchy_file(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a hierarchy (as data) to a YAML file and return its path."""
    counter = iter(range(1_000_000))

    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / f"hierarchy-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def two_layer() -> dict[str, Any]:
    return copy.deepcopy(load_example("two-layer.yaml"))


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    yield SECRETS


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
