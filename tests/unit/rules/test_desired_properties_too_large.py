from acr_edge_cli.loader import SourceDocument
from acr_edge_cli.rules.base import ManifestContext
from tests.unit.rules.helpers import manifest, manifest_findings


def test_size_is_counted_the_way_iot_hub_counts() -> None:
    desired = {"ab": "cd", "n": 1, "b": True, "o": {"é": "é"}, "l": [1.5, None]}
    content = {"modulesContent": {"m": {"properties.desired": desired}}}
    context = ManifestContext(SourceDocument("f", content, lambda p: None, lambda p: None))
    # keys and strings in UTF-8 bytes, numbers 8, booleans 4, null nothing
    assert context.twin_sizes[0] == {"m": 2 + 2 + 1 + 8 + 1 + 4 + 1 + 2 + 2 + 1 + 8}


def _with_twin(count: int) -> dict[str, object]:
    content = manifest()
    # each key "kNNNNN" (6 bytes) + a 26-byte string = 32 bytes
    desired = {f"k{i:05d}": "x" * 26 for i in range(count)}
    content["modulesContent"]["Sensor"] = {"properties.desired": desired}  # type: ignore[index]
    return content


def test_fires_over_32_kb() -> None:
    (finding,) = manifest_findings(_with_twin(1025), "desired-properties-too-large")
    assert finding.pointer == "/modulesContent/Sensor/properties.desired"
    assert finding.message == "Sensor desired properties are 32,800 bytes; IoT Hub allows 32,768"


def test_near_miss_exactly_32_kb() -> None:
    assert manifest_findings(_with_twin(1024), "desired-properties-too-large") == []
