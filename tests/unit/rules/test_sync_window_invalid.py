from pathlib import Path

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_schedule_without_window(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": "0 12 * * *"}
    (finding,) = hierarchy_findings(data, "sync-window-invalid", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync/schedule"


@pytest.mark.parametrize("window", ["PT30M", "P8D", "2 hours", "P1M"])
def test_fires_on_a_window_out_of_range(window: str, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": "0 12 * * *", "window": window}
    (finding,) = hierarchy_findings(data, "sync-window-invalid", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync/window"


@pytest.mark.parametrize(
    ("schedule", "window"), [("0 12 * * *", "PT1H"), ("0 12 * * *", "P7D"), ("* * * * *", None)]
)
def test_near_miss(schedule: str, window: str | None, tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync"] = {"schedule": schedule, "window": window}
    assert hierarchy_findings(data, "sync-window-invalid", tmp_path) == []
