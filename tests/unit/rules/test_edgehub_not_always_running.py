from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_when_edgehub_may_stop() -> None:
    content = manifest()
    agent(content)["systemModules"]["edgeHub"]["restartPolicy"] = "on-failure"
    (finding,) = manifest_findings(content, "edgehub-not-always-running")
    assert finding.pointer == f"{AGENT}/systemModules/edgeHub/restartPolicy"
    assert finding.message == "edgeHub restartPolicy is 'on-failure'; it must be 'always'"


def test_near_miss_running_always() -> None:
    assert manifest_findings(manifest(), "edgehub-not-always-running") == []
