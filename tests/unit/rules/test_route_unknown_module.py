from pathlib import Path

from tests.unit.rules.helpers import (
    HUB,
    device,
    hierarchy,
    hierarchy_findings,
    hub,
    manifest,
    manifest_findings,
)


def test_fires_on_a_sink_module_that_is_not_deployed() -> None:
    content = manifest()
    hub(content)["routes"]["toSensor"] = (
        'FROM /messages/* INTO BrokeredEndpoint("/modules/Sensor/inputs/in1")'
    )
    (finding,) = manifest_findings(content, "route-unknown-module")
    assert finding.pointer == f"{HUB}/routes/toSensor"
    # a hand-written manifest may be a base deployment completed by a layered one
    assert finding.severity.label == "warning"


def test_is_an_error_in_a_generated_manifest(tmp_path: Path) -> None:
    data = hierarchy("factory-isa95.yaml")
    device(data, 0, 0, 0)["routes"]["telemetry"] = (
        "FROM /messages/modules/OPCPublsher/* INTO $upstream"
    )
    (finding,) = hierarchy_findings(data, "route-unknown-module", tmp_path)
    assert finding.severity.label == "error"
    assert (
        finding.message
        == "route 'telemetry': source module 'OPCPublsher' is not in this deployment"
    )


def test_near_miss_known_module_names() -> None:
    content = manifest()
    hub(content)["routes"]["fromProxy"] = "FROM /messages/modules/IoTEdgeAPIProxy/* INTO $upstream"
    assert manifest_findings(content, "route-unknown-module") == []
