from tests.unit.rules.helpers import configuration, configuration_findings


def _set(count: int) -> list[dict[str, object]]:
    documents = []
    for index in range(count):
        document = configuration(layered=True)
        document["id"] = f"layer-{index}"
        documents.append(document)
    return documents


def test_fires_once_past_100() -> None:
    (finding,) = configuration_findings(_set(102), "deployment-count-exceeded")
    assert finding.file == "config-100.json"
    assert finding.message == "102 configurations for one hub; IoT Hub holds at most 100"


def test_near_miss_100() -> None:
    assert configuration_findings(_set(100), "deployment-count-exceeded") == []
