from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


@pytest.mark.parametrize("name", ["top-registry", "1registry", "abcd", "a" * 41])
def test_fires(name: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["name"] = name
    (finding,) = hierarchy_findings(data, "registry-name-invalid", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/name"


@pytest.mark.parametrize("name", ["abcde", "TopRegistry2", "a" * 40])
def test_near_miss(name: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["name"] = name
    assert hierarchy_findings(data, "registry-name-invalid", tmp_path) == []
