from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def _with_env_value(value: str) -> dict[str, object]:
    content = manifest()
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["NOTE"] = {"value": value}
    return content


def test_fires_over_4096_utf8_bytes() -> None:
    (finding,) = manifest_findings(_with_env_value("é" * 2049), "twin-value-too-large")
    assert finding.pointer == f"{AGENT}/modules/IoTEdgeAPIProxy/env/NOTE/value"
    assert finding.message == "value is 4098 bytes; a twin value holds at most 4096"


def test_near_miss_exactly_4096_bytes() -> None:
    assert manifest_findings(_with_env_value("é" * 2048), "twin-value-too-large") == []
