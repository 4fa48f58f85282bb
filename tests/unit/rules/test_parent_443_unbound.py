import json

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings

RULE = "parent-443-unbound"


def test_fires_when_the_proxy_left_443_and_edgehub_did_not_take_it() -> None:
    content = manifest("top")
    edge_hub = agent(content)["systemModules"]["edgeHub"]["settings"]
    edge_hub["createOptions"] = json.dumps(
        {"HostConfig": {"PortBindings": {"5671/tcp": [{"HostPort": "5671"}]}}}
    )
    (finding,) = manifest_findings(content, RULE)
    assert finding.pointer == f"{AGENT}/systemModules/edgeHub/settings/createOptions"


def test_near_miss() -> None:
    assert manifest_findings(manifest("top"), RULE) == []  # edgeHub binds 443
