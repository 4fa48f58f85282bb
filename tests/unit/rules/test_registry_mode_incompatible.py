from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_read_write_under_read_only(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["mode"] = "ReadOnly"
    device(data, 0, 0)["connected_registry"]["mode"] = "ReadWrite"
    (finding,) = hierarchy_findings(data, "registry-mode-incompatible", tmp_path)
    assert finding.pointer == "/devices/0/children/0/connected_registry/mode"


def test_near_miss_read_only_under_read_write(tmp_path: Path) -> None:
    assert hierarchy_findings(hierarchy(), "registry-mode-incompatible", tmp_path) == []


def test_legacy_aliases_count_as_their_modes(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["mode"] = "Mirror"
    device(data, 0, 0)["connected_registry"]["mode"] = "Registry"
    assert len(hierarchy_findings(data, "registry-mode-incompatible", tmp_path)) == 1
