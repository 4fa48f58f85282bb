from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_on_unhealthy() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["restartPolicy"] = "on-unhealthy"
    (finding,) = manifest_findings(content, "restart-policy-unimplemented")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/restartPolicy"
    assert finding.severity.label == "warning"


def test_near_miss_never() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["restartPolicy"] = "never"
    assert manifest_findings(content, "restart-policy-unimplemented") == []


def test_a_policy_of_the_wrong_type_is_the_schema_s_finding_not_a_crash() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["restartPolicy"] = [
        "always"
    ]  # found by fuzzing
    assert manifest_findings(content, "restart-policy-unimplemented") == []
    assert manifest_findings(content, "schema")
