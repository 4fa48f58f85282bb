from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "diagnostics-image-not-synced"


def test_fires_once_per_parent_registry_with_the_command_to_run(tmp_path: Path) -> None:
    data = hierarchy()
    repositories = device(data, 0)["connected_registry"]["repositories"]
    repositories.remove("azureiotedge-diagnostics")
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/repositories"
    # iotedge check does not resolve $upstream: the parent's hostname and proxy port
    hostname = device(data, 0)["hostname"]
    assert f"--diagnostics-image-name {hostname}:8000/azureiotedge-diagnostics:1.5" in (
        finding.message
    )


def test_near_miss(tmp_path: Path) -> None:
    assert hierarchy_findings(hierarchy(), RULE, tmp_path) == []
