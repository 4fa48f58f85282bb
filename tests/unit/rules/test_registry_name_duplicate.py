from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_names_equal_without_case(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["connected_registry"]["name"] = "TopRegistry"
    (finding,) = hierarchy_findings(data, "registry-name-duplicate", tmp_path)
    assert finding.pointer == "/devices/0/children/0/connected_registry/name"
    assert finding.message == (
        "connected registry name 'TopRegistry' is also used on device 'top-layer'"
    )


def test_near_miss_distinct_names(tmp_path: Path) -> None:
    assert hierarchy_findings(hierarchy(), "registry-name-duplicate", tmp_path) == []


def test_fires_in_a_generated_folder(tmp_path: Path) -> None:
    from tests.unit.rules.helpers import edit_json, output_findings

    def rename(out: Path) -> None:
        def change(manifest: dict) -> None:  # type: ignore[type-arg]
            env = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"][
                "connected-registry"
            ]["env"]["ACR_REGISTRY_CONNECTION_STRING"]
            env["value"] = env["value"].replace("plantsiteops", "PlantDmz")

        edit_json(out / "layer-1/plant-site-ops/deployment.json", change)

    (finding,) = output_findings(tmp_path, "registry-name-duplicate", rename)
    assert (
        finding.message == "connected registry name 'PlantDmz' is also used on device 'plant-dmz'"
    )
