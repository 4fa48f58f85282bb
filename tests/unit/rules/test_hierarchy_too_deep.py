from pathlib import Path
from typing import Any

from tests.unit.rules.helpers import hierarchy, hierarchy_findings


def _chain(depth: int) -> dict[str, Any]:
    """A top device with `depth` layers below it, each a gateway with a proxy."""
    data = hierarchy()
    top = data["devices"][0]
    top["children"] = []
    node = top
    for layer in range(1, depth + 1):
        child: dict[str, Any] = {
            "id": f"layer-{layer}",
            "registry_credentials": {"username": "u", "password": "${P}"},
        }
        node["children"] = [child]
        node = child
    return data


def test_fires_six_layers_below_the_top(tmp_path: Path) -> None:
    findings = hierarchy_findings(_chain(6), "hierarchy-too-deep", tmp_path)
    assert [f.message for f in findings] == [
        "device 'layer-6' is 6 layers below the top; IoT Edge allows at most 5"
    ]


def test_near_miss_five_layers(tmp_path: Path) -> None:
    assert hierarchy_findings(_chain(5), "hierarchy-too-deep", tmp_path) == []


def test_fires_in_a_generated_folder(tmp_path: Path) -> None:
    from tests.unit.rules.helpers import edit_json, output_findings

    def deepen(out: Path) -> None:
        edit_json(out / "index.json", lambda index: index["devices"][3].update(layer=6))

    (finding,) = output_findings(tmp_path, "hierarchy-too-deep", deepen)
    assert finding.pointer == "/devices/3/layer"
