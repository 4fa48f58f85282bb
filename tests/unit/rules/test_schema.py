from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_a_wrong_type() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["status"] = "paused"
    (finding,) = manifest_findings(content, "schema")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/status"
    assert "'paused' is not one of ['running', 'stopped']" in finding.message


def test_near_miss_stopped_is_a_status() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["status"] = "stopped"
    assert manifest_findings(content, "schema") == []


def test_a_named_rule_takes_the_finding_over_the_schema() -> None:
    content = manifest()
    agent(content)["systemModules"]["edgeHub"]["status"] = "stopped"
    assert manifest_findings(content, "schema") == []
    assert len(manifest_findings(content, "edgehub-not-always-running")) == 1
