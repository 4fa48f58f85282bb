from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "hostname-invalid"


@pytest.mark.parametrize(
    ("hostname", "says"),
    [
        ("plant_dmz.contoso.local", "RFC 1035"),
        ("-plant.contoso.local", "RFC 1035"),
        ("plant-.contoso.local", "RFC 1035"),
        ("1plant.contoso.local", "RFC 1035"),
        ("a" * 30 + "." + "b" * 33, "64"),
    ],
)
def test_fires(hostname: str, says: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["hostname"] = hostname
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/hostname"
    assert says in finding.message


@pytest.mark.parametrize("hostname", ["top-layer.contoso.local", "Leaf.Contoso.local", "10.0.0.5"])
def test_near_miss(hostname: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["hostname"] = hostname
    assert hierarchy_findings(data, RULE, tmp_path) == []
