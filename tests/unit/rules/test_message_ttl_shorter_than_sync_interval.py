from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "message-ttl-shorter-than-sync-interval"


def test_fires_on_a_weekly_schedule_with_two_days_of_ttl(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {
        "schedule": "0 0 * * 0",
        "window": "PT4H",
        "message_ttl": "P2D",
    }
    (finding,) = hierarchy_findings(data, RULE, tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync/message_ttl"
    assert "7 days" in finding.message


@pytest.mark.parametrize(
    ("schedule", "ttl"), [("0 0 * * 0", "P7D"), ("0 */4 * * *", "P1D"), ("* * * * *", "P1D")]
)
def test_near_miss(schedule: str, ttl: str, tmp_path: Path) -> None:
    data = hierarchy()
    sync = {"schedule": schedule, "message_ttl": ttl}
    if schedule != "* * * * *":
        sync["window"] = "PT1H"
    device(data, 0)["connected_registry"]["sync"] = sync
    assert hierarchy_findings(data, RULE, tmp_path) == []
