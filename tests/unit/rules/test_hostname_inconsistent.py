from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "hostname-inconsistent"


def test_fires_on_ip_addresses_mixed_with_names(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["hostname"] = "10.0.0.5"
    device(data, 0, 0)["hostname"] = "lower-layer.contoso.local"
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/children/0/hostname"


def test_fires_on_a_parent_without_a_hostname(tmp_path: Path) -> None:
    data = hierarchy()
    del device(data, 0)["hostname"]
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/id"


def test_near_miss(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["hostname"] = "10.0.0.5"
    device(data, 0, 0)["hostname"] = "10.0.1.5"
    assert hierarchy_findings(data, RULE, tmp_path) == []
