from pathlib import Path

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings


def test_fires_on_a_child_proxy_on_another_port(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0, 0)["api_proxy"] = {"port": 443}
    (finding,) = hierarchy_findings(data, "proxy-port-inconsistent", tmp_path)
    assert finding.pointer == "/devices/0/children/0/api_proxy/port"
    assert finding.message == (
        "API proxy of 'lower-layer' listens on 443, its parent 'top-layer' on 8000; "
        "the proxy calls its parent on its own port"
    )


def test_near_miss_one_default_port(tmp_path: Path) -> None:
    data = hierarchy()
    data["defaults"]["api_proxy"]["port"] = 443
    assert hierarchy_findings(data, "proxy-port-inconsistent", tmp_path) == []


def test_fires_in_a_generated_folder_on_the_upstream_port(tmp_path: Path) -> None:
    from tests.unit.rules.helpers import edit_json, output_findings

    def other_port(out: Path) -> None:
        path = out / "layer-2/line-2-controller/deployment.json"

        def change(manifest: dict) -> None:  # type: ignore[type-arg]
            module = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"][
                "OPCPublisher"
            ]
            module["settings"]["image"] = module["settings"]["image"].replace(
                "$upstream:8000", "$upstream:443"
            )

        edit_json(path, change)

    (finding,) = output_findings(tmp_path, "proxy-port-inconsistent", other_port)
    assert finding.pointer.endswith("/modules/OPCPublisher/settings/image")
    assert "serves (8000)" in finding.message


def test_near_miss_generated_folder(tmp_path: Path) -> None:
    from tests.unit.rules.helpers import output_findings

    assert output_findings(tmp_path, "proxy-port-inconsistent", lambda out: None) == []
