"""Every `acr-edge` command shown in README.md and docs/ runs, in order, in a workspace
holding the examples, and ends with the documented exit code (0 unless the line says
`# exit N`). Install lines (pip) are CI's own business and are not run here."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.arm.server import RunningArm, running_arm
from tests.conftest import EXAMPLES, REPO, SECRETS
from tests.iothub.server import RunningHub, running_hub

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(?:sh|bash|shell)\n(.*?)```", re.DOTALL)
EXPECTED = re.compile(r"#\s*exit (\d+)\s*$")


def commands(document: Path) -> list[tuple[str, int]]:
    found = []
    for block in BLOCK.findall(document.read_text(encoding="utf-8")):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or "pip install" in line:
                continue
            expected = EXPECTED.search(line)
            code = int(expected.group(1)) if expected else 0
            found.append((line, code))
    return found


def test_every_document_shows_commands() -> None:
    for document in DOCUMENTS:
        if document.name != "rules.md":
            assert commands(document), f"{document.name} shows no command"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    with running_hub(tmp_path) as running:
        for example in EXAMPLES.glob("*.yaml"):
            out = tmp_path / f"register-{example.stem}"
            subprocess.run(
                [sys.executable, "-m", "acr_edge_cli", "generate", str(example), "-o", str(out)],
                check=True, capture_output=True,
            )  # fmt: skip
            for device in json.loads((out / "index.json").read_text())["devices"]:
                running.hub.add_device(device["id"], parent=device["parent"])
        yield running


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[RunningArm]:
    """The Resource Manager the examples' `resource_id` names."""
    with running_arm(
        tmp_path, subscription="00000000-0000-0000-0000-000000000000", resource_group="contoso-rg"
    ) as running:
        yield running


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_documented_commands_run(
    document: Path, tmp_path: Path, hub: RunningHub, arm: RunningArm
) -> None:
    workspace = tmp_path / "workspace"
    authorities = tmp_path / "cas.pem"
    authorities.write_text(hub.ca_file.read_text() + arm.ca_file.read_text())
    # the repository as a user has it: every file a documented command names must exist
    shutil.copytree(EXAMPLES, workspace / "examples")
    env = {
        **os.environ,
        **SECRETS,
        "NO_COLOR": "1",
        "REQUESTS_CA_BUNDLE": str(authorities),
        "IOTHUB_CONNECTION_STRING": hub.connection_string,
        "ACR_EDGE_ARM_ENDPOINT": arm.endpoint,
        "ACR_EDGE_ARM_TOKEN": arm.arm.token,
        "ACR_EDGE_ARM_POLL_SECONDS": "0.01",
    }
    acr_edge = shlex.quote(sys.executable) + " -m acr_edge_cli"
    for line, expected in commands(document):
        command = re.sub(r"(^|&& |; )acr-edge ", rf"\1{acr_edge} ", EXPECTED.sub("", line))
        result = subprocess.run(
            command, shell=True, cwd=workspace, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == expected, (
            f"{document.name}: {line}\n{result.stdout}{result.stderr}"
        )
