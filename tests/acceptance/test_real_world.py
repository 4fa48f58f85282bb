"""The manifests people already keep in git: every valid one of the collection in
tests/fixtures/real-world validates with no error or warning, and every broken twin is
reported by the right rule at the right pointer, and nothing else (see its README)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, CliResult

COLLECTION = REPO / "tests" / "fixtures" / "real-world"
EXPECTED: dict[str, list[list[str]]] = yaml.safe_load(
    (COLLECTION / "expected.yaml").read_text(encoding="utf-8")
)
VALID = sorted(
    str(p.relative_to(COLLECTION)) for p in COLLECTION.rglob("*.json") if p.parent.name != "broken"
)
BROKEN = sorted(str(p.relative_to(COLLECTION)) for p in (COLLECTION / "broken").glob("*.json"))


def _findings(cli: Callable[..., CliResult], *args: str | Path) -> tuple[int, list[dict[str, str]]]:
    result = cli("validate", *args, "--format", "json")
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def test_every_broken_file_has_its_expectation() -> None:
    assert sorted(EXPECTED) == BROKEN


@pytest.mark.parametrize("name", VALID)
def test_a_valid_file_gets_no_error_or_warning(name: str, cli: Callable[..., CliResult]) -> None:
    code, found = _findings(cli, COLLECTION / name, "--strict")
    assert [(d["rule"], d["pointer"]) for d in found if d["severity"] != "info"] == []
    assert code == 0


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_gets_the_right_rule_at_the_right_place(
    name: str, cli: Callable[..., CliResult]
) -> None:
    code, found = _findings(cli, COLLECTION / name)
    reported = sorted([d["rule"], d["pointer"]] for d in found if d["severity"] != "info")
    assert reported == sorted(EXPECTED[name])
    severities = {d["severity"] for d in found}
    assert code == (1 if "error" in severities else 0)
    assert all(d["line"] for d in found), "every finding has a line"


def test_the_whole_collection_in_one_run(cli: Callable[..., CliResult]) -> None:
    result = cli("validate", COLLECTION, "--disable", "connected-registry-on-iot-edge-retired")
    assert result.exit_code == 1
    expected_errors = sum(
        1 for name in BROKEN for rule, _ in EXPECTED[name] if rule not in WARNING_RULES
    )
    expected_warnings = sum(len(EXPECTED[name]) for name in BROKEN) - expected_errors
    assert result.stdout.endswith(
        f"{expected_errors} errors, {expected_warnings} warnings, 4 infos in "
        f"{len(VALID) + len(BROKEN)} files\n"
    )


#: the rules whose findings in the collection are warnings
WARNING_RULES = {
    "literal-secret",
    "image-bypasses-parent",
    "registry-trust-store-not-mounted",
    "parent-443-unbound",
    "schema",  # edgeHub 1.0 ignoring mqttBroker
    "proxy-config-invalid",  # the 1.0 parser's `!` blocks on the 1.1 image
    "route-unknown-module",  # a hand-written manifest may be one of several
}


def test_the_text_report_says_what_each_file_was_read_as(cli: Callable[..., CliResult]) -> None:
    result = cli(
        "validate",
        COLLECTION / "not-manifests" / "azuredeploy.json",
        COLLECTION / "broken" / "layered-route.json",
    )
    assert result.stdout == (
        f"{COLLECTION}/broken/layered-route.json (layered)\n"
        "  6:48     error    route 'telemetry': expected ')' at 'INTO' (character 42); edgeHub "
        "would refuse the whole configuration  [route-syntax-invalid]\n"
        "           fix: rewrite the route in that form, e.g. "
        "`FROM /messages/modules/sensor/outputs/* INTO $upstream`.\n"
        f"{COLLECTION}/not-manifests/azuredeploy.json (skipped)\n"
        "  1:1      info     an ARM template, not a deployment manifest: skipped  [input]\n"
        "1 error, 0 warnings, 1 info in 2 files\n"
    )
    assert result.exit_code == 1


def test_kind_reads_a_file_as_the_kind_given(cli: Callable[..., CliResult]) -> None:
    """A template read as a complete manifest: its createOptions objects and placeholders
    are then wrong, as they would be if it were deployed unbuilt."""
    template = COLLECTION / "templates" / "deployment.template.json"
    code, found = _findings(cli, template, "--kind", "manifest")
    assert code == 1
    assert "create-options-invalid" in {d["rule"] for d in found}
    code, found = _findings(cli, template, "--kind", "other")
    assert code == 0
    assert [d["severity"] for d in found] == ["info"]


def test_the_folder_init_creates_validates_clean(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    assert cli("init", tmp_path / "plant").exit_code == 0
    hierarchy = tmp_path / "plant" / "hierarchy.yaml"
    assert cli("generate", hierarchy, "-o", tmp_path / "plant" / "out").exit_code == 0
    result = cli("validate", tmp_path / "plant", "--strict")
    assert result.exit_code == 0, result.stdout
    assert "0 errors, 0 warnings" in result.stdout
