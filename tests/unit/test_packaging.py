"""templates/ and schemas/ are found from a source checkout, an editable install and a wheel;
the layers import only what they may (typer in the CLI, rich in reporting, azure in the
service clients)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from acr_edge_cli import resources
from tests.conftest import EXAMPLES, REPO

PACKAGE = REPO / "acr_edge_cli"


def test_checkout_finds_the_top_level_folders() -> None:
    assert resources.templates_dir() == REPO / "templates"
    assert resources.schemas_dir() == REPO / "schemas"


def test_wheel_carries_templates_and_schemas_and_works(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("acr_edge-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "acr_edge_cli/templates/deployment.json.j2" in names
    assert "acr_edge_cli/schemas/edgeagent-1.1.schema.json" in names
    assert "acr_edge_cli/schemas/hierarchy.schema.json" in names
    # Run the unpacked wheel from a folder where the checkout cannot be seen.
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from acr_edge_cli import resources; print(resources.templates_dir())",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == str(tmp_path / "site" / "acr_edge_cli" / "templates")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "acr_edge_cli",
            "generate",
            str(EXAMPLES / "two-layer.yaml"),
            "-o",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out/layer-1/lower-layer/deployment.json").is_file()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("library", "allowed"),
    [("typer", {"cli.py"}), ("rich", {"reporting.py"}), ("azure", {"iothub.py", "arm.py"})],
)
def test_libraries_stay_in_their_layer(library: str, allowed: set[str]) -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if library in _imports(path)
    }
    assert users <= allowed


def test_version_starts_without_the_heavy_libraries() -> None:
    code = (
        # app() rather than main(), which ends the process without returning
        "import sys; sys.argv=['acr-edge','--version']\n"
        "from acr_edge_cli.cli import app\n"
        "try:\n    app()\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('pydantic', 'jinja2', 'jsonschema', 'yaml', 'azure') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["acr-edge " + __import__("acr_edge_cli").__version__, ""]
