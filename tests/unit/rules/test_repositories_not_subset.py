from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_repository_the_parent_does_not_sync(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["connected_registry"]["repositories"].append("hello-world")
    (finding,) = hierarchy_findings(data, "repositories-not-subset", tmp_path)
    assert finding.pointer == "/devices/0/children/0/connected_registry/repositories/4"
    assert finding.message == (
        "'hello-world' is synced by 'lowerregistry' but not by its parent registry "
        "'topregistry' on 'top-layer'"
    )


def test_near_miss_parent_syncs_more(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["repositories"].append("hello-world")
    assert hierarchy_findings(data, "repositories-not-subset", tmp_path) == []
