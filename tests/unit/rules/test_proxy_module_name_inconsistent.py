from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_the_tutorials_two_names(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["api_proxy"] = {"module_name": "IoTEdgeApiProxyLower"}
    (finding,) = hierarchy_findings(data, "proxy-module-name-inconsistent", tmp_path)
    assert finding.pointer == "/devices/0/children/0/api_proxy/module_name"
    assert finding.severity.label == "warning"


def test_near_miss_names_differ_only_in_case(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["api_proxy"] = {"module_name": "IoTEdgeApiProxy"}
    assert hierarchy_findings(data, "proxy-module-name-inconsistent", tmp_path) == []


def test_fires_in_a_generated_folder(tmp_path: Path) -> None:
    from tests.unit.rules.helpers import edit_json, output_findings

    def rename(out: Path) -> None:
        def change(manifest: dict) -> None:  # type: ignore[type-arg]
            modules = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]
            modules["ApiProxyL3"] = modules.pop("IoTEdgeAPIProxy")

        edit_json(out / "layer-1/plant-site-ops/deployment.json", change)

    (finding,) = output_findings(tmp_path, "proxy-module-name-inconsistent", rename)
    assert finding.message == (
        "API proxy module is 'ApiProxyL3' on 'plant-site-ops' but 'IoTEdgeAPIProxy' on its "
        "parent 'plant-dmz'"
    )
