from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_without_a_bind_to_the_data_volume() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["createOptions"] = (
        '{"HostConfig":{"Binds":["/srv/acr:/var/acr/certs"]}}'
    )
    (finding,) = manifest_findings(content, "connected-registry-data-not-persisted")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/settings/createOptions"
    assert finding.severity.label == "warning"


def test_near_miss_mount_to_a_custom_data_volume() -> None:
    content = manifest()
    module = agent(content)["modules"]["connected-registry"]
    module["env"]["ACR_REGISTRY_DATA_VOLUME"] = {"value": "/data"}
    module["settings"]["createOptions"] = (
        '{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/srv/acr","Target":"/data"}]}}'
    )
    assert manifest_findings(content, "connected-registry-data-not-persisted") == []
