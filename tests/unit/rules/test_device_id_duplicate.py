from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_second_device_with_the_same_id(tmp_path: Path) -> None:
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 1)["id"] = "line-1-controller"
    (finding,) = hierarchy_findings(data, "device-id-duplicate", tmp_path)
    assert finding.pointer == "/devices/0/children/0/children/1/id"
    assert finding.message == (
        "device id 'line-1-controller' is used twice (first at devices.0.children.0.children.0)"
    )


def test_near_miss_ids_differ_in_case(tmp_path: Path) -> None:
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 1)["id"] = "Line-1-Controller"
    assert hierarchy_findings(data, "device-id-duplicate", tmp_path) == []
