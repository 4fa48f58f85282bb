from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_text_that_is_not_json() -> None:
    content = manifest()
    agent(content)["modules"]["connected-registry"]["settings"]["createOptions"] = (
        '{"HostConfig":{"Binds":["/a:/var/acr/data","LogConfig":{}]}}'
    )
    (finding,) = manifest_findings(content, "create-options-invalid")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/settings/createOptions"
    assert finding.message.startswith("connected-registry: createOptions is not valid JSON")


def test_fires_on_a_json_array_and_on_an_object_value() -> None:
    content = manifest()
    modules = agent(content)["modules"]
    modules["connected-registry"]["settings"]["createOptions"] = "[1]"
    modules["IoTEdgeAPIProxy"]["settings"]["createOptions"] = {"HostConfig": {}}
    messages = sorted(f.message for f in manifest_findings(content, "create-options-invalid"))
    assert messages == [
        "IoTEdgeAPIProxy: createOptions must be a string of JSON (stringified), not dict",
        "connected-registry: createOptions must hold a JSON object, not list",
    ]


def test_near_miss_empty_string_and_chunks_that_join_to_json() -> None:
    content = manifest()
    settings = agent(content)["modules"]["connected-registry"]["settings"]
    settings["createOptions"] = '{"HostConfig":'
    settings["createOptions01"] = '{"Binds":["/a:/var/acr/data"]}}'
    agent(content)["systemModules"]["edgeAgent"]["settings"]["createOptions"] = ""
    assert manifest_findings(content, "create-options-invalid") == []
