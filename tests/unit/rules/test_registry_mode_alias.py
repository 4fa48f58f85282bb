from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_mirror(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["connected_registry"]["mode"] = "Mirror"
    (finding,) = hierarchy_findings(data, "registry-mode-alias", tmp_path)
    assert finding.message == "mode 'Mirror' is a deprecated alias; write 'ReadOnly'"
    assert finding.severity.label == "warning"


def test_near_miss_current_names(tmp_path: Path) -> None:
    assert hierarchy_findings(hierarchy(), "registry-mode-alias", tmp_path) == []
