import pytest

from tests.unit.rules.helpers import agent, manifest, manifest_findings


@pytest.mark.parametrize("image", ["registry", "registry:latest", "x.azurecr.io/a:latest"])
def test_fires_without_a_version(image: str) -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["image"] = image
    (finding,) = manifest_findings(content, "image-tag-not-pinned")
    assert finding.severity.label == "warning"


@pytest.mark.parametrize("image", ["registry:2.8", "registry@sha256:0123abcd"])
def test_near_miss_pinned(image: str) -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["image"] = image
    assert manifest_findings(content, "image-tag-not-pinned") == []
