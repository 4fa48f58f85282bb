from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_parent_with_the_proxy_turned_off(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["api_proxy"] = False
    (finding,) = hierarchy_findings(data, "parent-without-proxy", tmp_path)
    assert finding.pointer == "/devices/0/api_proxy"
    assert (
        finding.message == "device 'top-layer' has 1 child device(s) but no API proxy to serve them"
    )


def test_near_miss_leaf_without_proxy(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["api_proxy"] = False
    assert hierarchy_findings(data, "parent-without-proxy", tmp_path) == []


def test_fires_in_a_generated_folder(tmp_path: Path) -> None:
    from tests.unit.rules.helpers import edit_json, output_findings

    def drop_proxy(out: Path) -> None:
        path = out / "layer-1/plant-site-ops/deployment.json"
        edit_json(
            path,
            lambda m: m["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"].pop(
                "IoTEdgeAPIProxy"
            ),
        )

    (finding,) = output_findings(tmp_path, "parent-without-proxy", drop_proxy)
    assert finding.file.endswith("layer-1/plant-site-ops/deployment.json")
    assert finding.line is not None
