from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


@pytest.mark.parametrize("ttl", ["PT12H", "P91D", "two days"])
def test_fires(ttl: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"message_ttl": ttl}
    (finding,) = hierarchy_findings(data, "message-ttl-invalid", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync/message_ttl"


@pytest.mark.parametrize("ttl", ["P1D", "P90D", "PT24H"])
def test_near_miss(ttl: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"message_ttl": ttl}
    assert hierarchy_findings(data, "message-ttl-invalid", tmp_path) == []
