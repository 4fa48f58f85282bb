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
