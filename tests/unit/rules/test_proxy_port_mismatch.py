import json

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_when_nginx_listens_on_an_unbound_port() -> None:
    content = manifest()
    agent(content)["modules"]["IoTEdgeAPIProxy"]["env"]["NGINX_DEFAULT_PORT"]["value"] = "443"
    (finding,) = manifest_findings(content, "proxy-port-mismatch")
    assert finding.pointer == f"{AGENT}/modules/IoTEdgeAPIProxy/settings/createOptions"
    assert finding.message == (
        "IoTEdgeAPIProxy: nginx listens on 443 but the container binds 8000/tcp; bind 443/tcp"
    )


def test_fires_on_a_port_the_image_does_not_expose() -> None:
    content = manifest()
    proxy = agent(content)["modules"]["IoTEdgeAPIProxy"]
    proxy["env"]["NGINX_DEFAULT_PORT"]["value"] = "8443"
    proxy["settings"]["createOptions"] = json.dumps(
        {"HostConfig": {"PortBindings": {"8443/tcp": [{"HostPort": "8443"}]}}}
    )
    (finding,) = manifest_findings(content, "proxy-port-mismatch")
    assert "port 8443 is not exposed by the image" in finding.message


def test_near_miss_exposed_other_port() -> None:
    content = manifest()
    proxy = agent(content)["modules"]["IoTEdgeAPIProxy"]
    proxy["env"]["NGINX_DEFAULT_PORT"]["value"] = "8443"
    proxy["settings"]["createOptions"] = json.dumps(
        {
            "ExposedPorts": {"8443/tcp": {}},
            "HostConfig": {"PortBindings": {"8443/tcp": [{"HostPort": "8443"}]}},
        }
    )
    assert manifest_findings(content, "proxy-port-mismatch") == []
