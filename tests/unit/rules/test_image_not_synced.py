from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_module_image_the_parent_registry_lacks(tmp_path: Path) -> None:
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 1)["modules"]["OPCPublisher"]["image"] = "industrial-iot/opc-twin:2.9.10"
    (finding,) = hierarchy_findings(data, "image-not-synced", tmp_path)
    assert finding.pointer == "/devices/0/children/0/children/1/modules/OPCPublisher/image"
    assert finding.message == (
        "'line-2-controller' pulls 'industrial-iot/opc-twin:2.9.10', but "
        "'industrial-iot/opc-twin' is not in the repositories of 'plantsiteops' on "
        "'plant-site-ops'"
    )


def test_fires_on_runtime_images(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["connected_registry"]["repositories"].remove("azureiotedge-hub")
    device(data, 0)["connected_registry"]["repositories"].remove("azureiotedge-hub")
    # the lower layer pulls edgeHub from the top layer's registry, which no longer syncs it
    findings = hierarchy_findings(data, "image-not-synced", tmp_path)
    assert [f.pointer for f in findings] == ["/devices/0/children/0/id"]


def test_near_miss_top_layer_pulls_from_the_cloud(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["modules"] = {"hello": {"image": "hello-world:1.0"}}
    assert hierarchy_findings(data, "image-not-synced", tmp_path) == []
