from pathlib import Path

from tests.unit.rules.helpers import (
    AGENT,
    agent,
    device,
    hierarchy,
    hierarchy_findings,
    manifest,
    manifest_findings,
)


def test_fires_on_an_acr_image_without_matching_credentials() -> None:
    content = manifest()
    credentials = agent(content)["runtime"]["settings"]["registryCredentials"]
    credentials["cloudregistry"]["address"] = "https://contosoregistry.azurecr.io"
    findings = manifest_findings(content, "registry-credentials-mismatch")
    pointers = {f.pointer for f in findings}
    assert f"{AGENT}/runtime/settings/registryCredentials/cloudregistry/address" in pointers
    assert f"{AGENT}/systemModules/edgeAgent/settings/image" in pointers
    assert len(findings) == 5  # the address, and each of the four images from that registry


def test_fires_in_a_generated_lower_layer_without_pull_credentials(tmp_path: Path) -> None:
    data = hierarchy()
    lower = device(data, 0, 0)
    del lower["connected_registry"]  # no sync token, and no registry_credentials either
    findings = hierarchy_findings(data, "registry-credentials-mismatch", tmp_path)
    assert findings
    assert all(f.file == "out/layer-1/lower-layer/deployment.json" for f in findings)


def test_near_miss_address_matches_without_case() -> None:
    content = manifest()
    credentials = agent(content)["runtime"]["settings"]["registryCredentials"]
    credentials["cloudregistry"]["address"] = "ContosoRegistry.azurecr.io"
    assert manifest_findings(content, "registry-credentials-mismatch") == []
