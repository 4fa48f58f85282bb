from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_at_21(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["client_tokens"] = [f"t{i}" for i in range(21)]
    (finding,) = hierarchy_findings(data, "client-tokens-too-many", tmp_path)
    assert finding.message == "'topregistry' has 21 client tokens; the limit is 20"


def test_near_miss_20(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["client_tokens"] = [f"t{i}" for i in range(20)]
    assert hierarchy_findings(data, "client-tokens-too-many", tmp_path) == []
