from pathlib import Path

from tests.unit.rules.helpers import (
    device,
    edit_json,
    hierarchy,
    hierarchy_findings,
    output_findings,
)


def test_fires_on_a_second_device_with_the_same_id(tmp_path: Path) -> None:
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 1)["id"] = "line-1-controller"
    (finding,) = hierarchy_findings(data, "device-id-duplicate", tmp_path)
    assert finding.pointer == "/devices/0/children/0/children/1/id"
    assert finding.message == (
        "device id 'line-1-controller' is used twice (first at devices.0.children.0.children.0)"
    )


def test_fires_on_ids_of_one_layer_that_differ_only_in_case(tmp_path: Path) -> None:
    """Two devices to IoT Hub, but one folder on Windows or macOS."""
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 1)["id"] = "Line-1-Controller"
    (finding,) = hierarchy_findings(data, "device-id-duplicate", tmp_path)
    assert finding.pointer == "/devices/0/children/0/children/1/id"
    assert finding.message == (
        "device id 'Line-1-Controller' differs from 'line-1-controller' (at "
        "devices.0.children.0.children.0) only in case: their folders in layer-2/ are one on "
        "case-insensitive file systems"
    )


def test_near_miss_ids_differ_in_case_on_different_layers(tmp_path: Path) -> None:
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 1)["id"] = "Plant-Site-Ops"  # layer 2; plant-site-ops is on layer 1
    assert hierarchy_findings(data, "device-id-duplicate", tmp_path) == []


def test_fires_in_a_generated_folder(tmp_path: Path) -> None:
    def duplicate(out: Path) -> None:
        edit_json(
            out / "index.json", lambda index: index["devices"][3].update(id="line-1-controller")
        )

    (finding,) = output_findings(tmp_path, "device-id-duplicate", duplicate)
    assert finding.file.endswith("index.json")
    assert finding.pointer == "/devices/3/id"


def test_near_miss_generated_folder(tmp_path: Path) -> None:
    assert output_findings(tmp_path, "device-id-duplicate", lambda out: None) == []
