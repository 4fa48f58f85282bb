from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_mcr_below_the_top(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["modules"] = {"sensor": {"image": "mcr.microsoft.com/sensor:1.0"}}
    (finding,) = hierarchy_findings(data, "image-host-below-top", tmp_path)
    assert finding.pointer == "/devices/0/children/0/modules/sensor/image"


def test_near_miss_on_the_top_layer(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["modules"] = {"sensor": {"image": "mcr.microsoft.com/sensor:1.0"}}
    assert hierarchy_findings(data, "image-host-below-top", tmp_path) == []
