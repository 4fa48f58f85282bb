from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings

RULE = "image-bypasses-parent"


def test_fires_on_a_lower_layer_module_pulled_from_the_internet() -> None:
    content = manifest("lower")
    agent(content)["modules"]["sensor"] = {
        "settings": {"image": "mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0"},
        "type": "docker",
        "status": "running",
        "restartPolicy": "always",
        "version": "1.0",
    }
    (finding,) = manifest_findings(content, RULE)
    assert finding.pointer == f"{AGENT}/modules/sensor/settings/image"
    assert "mcr.microsoft.com" in finding.message


def test_near_miss_through_the_parent_or_on_the_top_layer() -> None:
    assert manifest_findings(manifest("lower"), RULE) == []
    content = manifest("top")
    agent(content)["modules"]["sensor"] = {
        "settings": {"image": "mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0"},
        "type": "docker",
        "status": "running",
        "restartPolicy": "always",
        "version": "1.0",
    }
    assert manifest_findings(content, RULE) == []
