from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "sync-token-shared"


def test_fires_on_two_registries_with_one_sync_token(tmp_path: Path) -> None:
    data = hierarchy()
    top = device(data, 0)["connected_registry"]["sync_token"]["name"]
    device(data, 0, 0)["connected_registry"]["sync_token"]["name"] = top
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/children/0/connected_registry/sync_token/name"


def test_near_miss(tmp_path: Path) -> None:
    assert hierarchy_findings(hierarchy(), RULE, tmp_path) == []
