from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


@pytest.mark.parametrize("schedule", ["0 */4 * *", "0 0 */4 * * *", "61 * * * *", "every hour"])
def test_fires(schedule: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": schedule, "window": "PT2H"}
    (finding,) = hierarchy_findings(data, "sync-schedule-invalid", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync/schedule"


def test_a_bad_default_is_reported_once_at_the_default(tmp_path: Path) -> None:
    data = hierarchy()
    data["defaults"]["connected_registry"] = {"sync": {"schedule": "bad", "window": "PT2H"}}
    (finding,) = hierarchy_findings(data, "sync-schedule-invalid", tmp_path)
    assert finding.pointer == "/defaults/connected_registry/sync/schedule"


@pytest.mark.parametrize("schedule", ["0 12 * * *", "*/15 * * * 1-5", "0 0 1 jan *"])
def test_near_miss(schedule: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": schedule, "window": "PT2H"}
    assert hierarchy_findings(data, "sync-schedule-invalid", tmp_path) == []
