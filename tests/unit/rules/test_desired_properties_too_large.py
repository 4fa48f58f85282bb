from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from acr_edge_cli.rules.contexts import _hub_size
from tests.unit.rules.helpers import manifest, manifest_findings


def test_size_is_counted_the_way_iot_hub_counts() -> None:
    desired = {"ab": "cd", "n": 1, "b": True, "o": {"é": "é"}, "l": [1.5, None]}
    # keys and strings in UTF-8 bytes, numbers 8, booleans 4, null nothing
    assert _hub_size(desired) == (2 + 2 + 1 + 8 + 1 + 4 + 1 + 2 + 2 + 1 + 8, 2)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=40,
)


@settings(max_examples=100, derandomize=True)
@given(JSON_VALUES)
def test_the_hub_counts_at_most_four_bytes_per_byte_of_compact_json(value: Any) -> None:
    # The shortcut that skips the walk for twins well under both limits relies on this.
    size, longest = _hub_size(value)
    length = len(orjson.dumps(value))
    assert size <= 4 * length
    assert longest <= length


def _with_twin(count: int) -> dict[str, object]:
    content = manifest()
    # each key "kNNNNN" (6 bytes) + a 26-byte string = 32 bytes
    desired = {f"k{i:05d}": "x" * 26 for i in range(count)}
    content["modulesContent"]["Sensor"] = {"properties.desired": desired}
    return content


def test_fires_over_32_kb() -> None:
    (finding,) = manifest_findings(_with_twin(1025), "desired-properties-too-large")
    assert finding.pointer == "/modulesContent/Sensor/properties.desired"
    assert finding.message == "Sensor desired properties are 32,800 bytes; IoT Hub allows 32,768"


def test_near_miss_exactly_32_kb() -> None:
    assert manifest_findings(_with_twin(1024), "desired-properties-too-large") == []
