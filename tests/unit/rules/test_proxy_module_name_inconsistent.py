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
