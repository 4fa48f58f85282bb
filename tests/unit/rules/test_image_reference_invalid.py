import pytest

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


@pytest.mark.parametrize("image", ["acr//connected-registry:1", "a:1:2", "a b:1", "x.io/"])
def test_fires_on_references_that_do_not_parse(image: str) -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["image"] = image
    (finding,) = manifest_findings(content, "image-reference-invalid")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/settings/image"


@pytest.mark.parametrize(
    "image",
    ["localhost:5000/a/b:1", "a@sha256:" + "0123abcd" * 8, "$upstream:443/a/b:1.0-linux-amd64"],
)
def test_near_miss_valid_references(image: str) -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["image"] = image
    assert manifest_findings(content, "image-reference-invalid") == []
