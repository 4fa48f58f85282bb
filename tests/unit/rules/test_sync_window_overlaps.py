from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "sync-window-overlaps"


@pytest.mark.parametrize(
    ("schedule", "window", "says"),
    [("0 */4 * * *", "PT4H", "never goes offline"), ("* * * * *", "PT2H", "ignored")],
)
def test_fires(schedule: str, window: str, says: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": schedule, "window": window}
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync/window"
    assert says in finding.message


def test_near_miss(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": "0 */4 * * *", "window": "PT3H"}
    assert hierarchy_findings(data, RULE, tmp_path) == []
