from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_the_removed_env_list_and_a_hand_set_parent() -> None:
    content = manifest("lower")
    env = agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]
    env["NGINX_CONFIG_ENV_VAR_LIST"] = {"value": "NGINX_DEFAULT_PORT"}
    env["IOTEDGE_PARENTHOSTNAME"] = {"value": "10.0.0.4"}
    findings = manifest_findings(content, "proxy-obsolete-env")
    assert [(f.pointer, f.severity.label) for f in findings] == [
        (f"{AGENT}/modules/IoTEdgeAPIProxy/env/NGINX_CONFIG_ENV_VAR_LIST", "warning"),
        (f"{AGENT}/modules/IoTEdgeAPIProxy/env/IOTEDGE_PARENTHOSTNAME", "error"),
    ]


def test_near_miss_only_current_variables() -> None:
    assert manifest_findings(manifest("lower"), "proxy-obsolete-env") == []
