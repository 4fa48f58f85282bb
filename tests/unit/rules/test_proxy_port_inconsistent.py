from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_child_proxy_on_another_port(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["api_proxy"] = {"port": 443}
    (finding,) = hierarchy_findings(data, "proxy-port-inconsistent", tmp_path)
    assert finding.pointer == "/devices/0/children/0/api_proxy/port"
    assert finding.message == (
        "API proxy of 'lower-layer' listens on 443, its parent 'top-layer' on 8000; "
        "the proxy calls its parent on its own port"
    )


def test_near_miss_one_default_port(tmp_path: Path) -> None:
    data = hierarchy()
    data["defaults"]["api_proxy"]["port"] = 443
    assert hierarchy_findings(data, "proxy-port-inconsistent", tmp_path) == []
