"""The rule engine: a rule that breaks on odd input reports, it does not crash the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acr_edge_cli.rules import BY_NAME
from tests.unit.rules.helpers import manifest, manifest_findings


def test_a_failing_rule_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(context: object) -> Iterator[object]:
        raise TypeError("unhashable type: 'list'")
        yield  # pragma: no cover - makes this a generator, as rules are

    monkeypatch.setattr(BY_NAME["too-many-modules"].module, "check", broken)
    (finding,) = manifest_findings(manifest(), "too-many-modules")
    assert finding.message == (
        "too-many-modules could not check this document (TypeError); please report it with the file"
    )
    assert finding.severity.label == "error"
