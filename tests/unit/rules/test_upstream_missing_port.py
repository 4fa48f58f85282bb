from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_images_and_addresses_without_a_port() -> None:
    content = manifest("lower")
    desired = agent(content)
    desired["modules"]["connected-registry"]["settings"]["image"] = (
        "$upstream/acr/connected-registry:0.9.0"
    )
    desired["runtime"]["settings"]["registryCredentials"]["connectedregistry"]["address"] = (
        "$upstream"
    )
    findings = manifest_findings(content, "upstream-missing-port")
    assert [f.pointer for f in findings] == [  # in file order: runtime comes first
        f"{AGENT}/runtime/settings/registryCredentials/connectedregistry/address",
        f"{AGENT}/modules/connected-registry/settings/image",
    ]


def test_near_miss_with_ports() -> None:
    assert manifest_findings(manifest("lower"), "upstream-missing-port") == []
