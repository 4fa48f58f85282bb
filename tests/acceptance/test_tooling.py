"""What people expect around the commands: CI recipes, pre-commit, generated docs, help,
completion, colour."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from acr_edge_cli.cli import app
from tests.conftest import REPO, CliResult

COMMANDS = ["generate", "validate", "deploy", "graph", "init", "rules", "schema"]


def _acr_edge_invocations(text: str) -> list[list[str]]:
    """The acr-edge command lines inside shell steps, without redirections."""
    found = []
    for line in text.splitlines():
        match = re.search(r"(?:run|script):\s*acr-edge (.*?)(?:\s*(?:>|\|\|).*)?$", line)
        if match:
            found.append(shlex.split(match.group(1)))
    return found


def _parses(arguments: list[str]) -> None:
    """The arguments parse as acr-edge would parse them (options, choices, arity)."""
    group = get_command(app)
    context = group.make_context("acr-edge", list(arguments), resilient_parsing=True)
    name = arguments[0]
    command = group.get_command(context, name)  # type: ignore[attr-defined]
    assert command is not None, name
    command.make_context(name, list(arguments[1:]), parent=context)


def test_github_actions_recipe() -> None:
    workflow: dict[Any, Any] = yaml.safe_load((REPO / "docs/ci/github-actions.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    steps = workflow["jobs"]["acr-edge"]["steps"]
    runs = {step.get("name", ""): step.get("run", "") for step in steps}
    assert "--format sarif" in runs["Validate (SARIF for code scanning)"]
    assert any(
        step.get("uses", "").startswith("github/codeql-action/upload-sarif") for step in steps
    )
    dry = next(s for s in steps if s.get("name") == "Deploy (dry run)")
    real = next(s for s in steps if s.get("name") == "Deploy")
    assert "pull_request" in dry["if"] and "--dry-run" in dry["run"]
    assert "refs/heads/main" in real["if"] and "--dry-run" not in real["run"]
    invocations = _acr_edge_invocations((REPO / "docs/ci/github-actions.yml").read_text())
    assert len(invocations) == 5
    for arguments in invocations:
        _parses(arguments)


def test_azure_pipelines_recipe() -> None:
    text = (REPO / "docs/ci/azure-pipelines.yml").read_text()
    pipeline = yaml.safe_load(text)
    steps = pipeline["steps"]
    scripts = {step.get("displayName"): step for step in steps if "script" in step}
    assert "--format sarif" in scripts["Validate (SARIF)"]["script"]
    assert "PullRequest" in scripts["Deploy (dry run)"]["condition"]
    assert "--dry-run" in scripts["Deploy (dry run)"]["script"]
    assert "isMain" in scripts["Deploy"]["condition"]
    assert any(step.get("artifact") == "CodeAnalysisLogs" for step in steps)
    invocations = _acr_edge_invocations(text)
    assert len(invocations) == 4
    for arguments in invocations:
        _parses(arguments)


def test_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "acr-edge-validate"
    assert hook["entry"] == "acr-edge validate"
    files = re.compile(hook["files"])
    for name in ("hierarchy.yaml", "site/hierarchy-munich.yml", "out/layer-0/a/deployment.json"):
        assert files.search(name), name
    for name in ("docker-compose.yaml", "package.json", "index.json"):
        assert not files.search(name), name


def test_docs_rules_is_generated_from_the_rule_modules(
    cli: Callable[..., CliResult], update_golden: bool
) -> None:
    generated = cli("rules", "--format", "markdown").stdout
    path = REPO / "docs" / "rules.md"
    if update_golden:
        path.write_text(generated)
    assert path.read_text() == generated, "run pytest --update-golden"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(
    command: str, cli: Callable[..., CliResult]
) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert f"acr-edge {command}" in result.stdout, "an example of the command itself"


def test_shell_completion_is_available(cli: Callable[..., CliResult]) -> None:
    result = cli("--show-completion", "bash")
    assert result.exit_code == 0
    assert "_ACR_EDGE_COMPLETE" in result.stdout


def test_no_color_is_respected(tmp_path: Path) -> None:
    script = (
        "import sys; sys.argv=['acr-edge','validate',sys.argv[1]]\n"
        "from acr_edge_cli.cli import main\nmain()"
    )
    hierarchy = REPO / "examples" / "two-layer.yaml"
    base = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "FORCE_COLOR": "1"}
    colored = subprocess.run([sys.executable, "-c", script, str(hierarchy)], env=base,
                             capture_output=True, text=True, check=False)  # fmt: skip
    plain = subprocess.run([sys.executable, "-c", script, str(hierarchy)],
                           env={**base, "NO_COLOR": "1"}, capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert "\x1b[" in colored.stdout
    assert "\x1b[" not in plain.stdout
    # styled or not, the same text
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored.stdout) == plain.stdout
