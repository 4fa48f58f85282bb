import pytest

from tests.unit.rules.helpers import configuration, configuration_findings


@pytest.mark.parametrize(
    "condition",
    ["", 'tags.site="munich"', "properties.reported.lastDesiredStatus.code=200", "*"],
)
def test_fires(condition: str) -> None:
    document = configuration()
    document["targetCondition"] = condition
    (finding,) = configuration_findings(document, "target-condition-invalid")
    assert finding.pointer == "/targetCondition"


@pytest.mark.parametrize(
    "condition", ["deviceId='plant-dmz'", "tags.site='munich' AND NOT tags.purdue='L2'"]
)
def test_near_miss(condition: str) -> None:
    document = configuration()
    document["targetCondition"] = condition
    assert configuration_findings(document, "target-condition-invalid") == []
