"""The rule engine: a rule that breaks on odd input reports, it does not crash the run."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from acr_edge_cli.loader import parse_json
from acr_edge_cli.rules import BY_NAME
from acr_edge_cli.rules.engine import check_manifest
from tests.unit.rules.helpers import agent, manifest, manifest_findings


def test_a_failing_rule_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(context: object) -> Iterator[object]:
        raise TypeError("unhashable type: 'list'")
        yield  # pragma: no cover - makes this a generator, as rules are

    monkeypatch.setattr(BY_NAME["too-many-modules"].module, "check_manifest", broken)
    (finding,) = manifest_findings(manifest(), "too-many-modules")
    assert finding.message == (
        "too-many-modules could not check this document (TypeError); please report it with the file"
    )
    assert finding.severity.label == "error"


def test_a_module_repeated_across_manifests_is_reported_in_each() -> None:
    """Module entries are shared between manifests with the same module; findings must still
    name each manifest, at that manifest's own line."""
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["image"] = "registry:latest"
    first = parse_json(json.dumps(content, indent=2), "first.json")
    # the same module, written further down the file
    second = parse_json("\n\n\n" + json.dumps(content, indent=2), "second.json")
    found = [
        (d.file, d.line)
        for document in (first, second)
        for d in check_manifest(document)
        if d.rule == "image-tag-not-pinned"
    ]
    assert len(found) == 2
    (first_file, first_line), (second_file, second_line) = found
    assert (first_file, second_file) == ("first.json", "second.json")
    assert first_line is not None and second_line == first_line + 3
