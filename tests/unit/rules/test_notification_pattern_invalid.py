from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


@pytest.mark.parametrize("pattern", ["hello-world", "repo:pull", "repo:tag:v1:push", "*"])
def test_fires(pattern: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["notifications"] = ["*:*", pattern]
    (finding,) = hierarchy_findings(data, "notification-pattern-invalid", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/notifications/1"


@pytest.mark.parametrize(
    "pattern",
    [
        "*:*",
        "*:*:*",
        "*@*:*",
        "path/to/repo:myTag:*",
        "path/to/repo@sha256:abc:delete",
        "sample/repo/*:1.0:*",
    ],
)
def test_near_miss(pattern: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["notifications"] = [pattern]
    assert hierarchy_findings(data, "notification-pattern-invalid", tmp_path) == []
