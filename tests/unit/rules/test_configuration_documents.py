"""A base configuration's content is checked as a manifest; a layered one by its schema."""

from tests.unit.rules.helpers import agent, configuration, configuration_findings


def test_base_content_is_checked_as_a_manifest_under_content() -> None:
    document = configuration()
    agent(document["content"])["systemModules"]["edgeHub"]["status"] = "stopped"
    (finding,) = configuration_findings(document, "edgehub-not-always-running")
    assert finding.pointer == (
        "/content/modulesContent/$edgeAgent/properties.desired/systemModules/edgeHub/status"
    )
    assert finding.line is not None


def test_layered_module_is_checked_against_the_module_schema() -> None:
    document = configuration(layered=True)
    module = document["content"]["modulesContent"]["$edgeAgent"][
        "properties.desired.modules.sensor"
    ]
    module["restartPolicy"] = "sometimes"
    (finding,) = configuration_findings(document, "schema")
    assert finding.pointer == (
        "/content/modulesContent/$edgeAgent/properties.desired.modules.sensor/restartPolicy"
    )


def test_clean_documents_have_no_findings() -> None:
    for layered in (False, True):
        findings = configuration_findings(configuration(layered=layered), "schema")
        assert findings == []
