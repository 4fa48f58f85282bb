import json

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def _proxy_on(content: dict[str, object], port: str) -> None:
    proxy = agent(content)["modules"]["IoTEdgeAPIProxy"]
    proxy["settings"]["createOptions"] = json.dumps(
        {"HostConfig": {"PortBindings": {f"{port}/tcp": [{"HostPort": port}]}}}
    )
    proxy["env"]["NGINX_DEFAULT_PORT"]["value"] = port


def test_fires_when_edgehub_and_the_proxy_both_bind_443() -> None:
    content = manifest()
    _proxy_on(content, "443")
    (finding,) = manifest_findings(content, "host-port-conflict")
    assert finding.pointer == f"{AGENT}/modules/IoTEdgeAPIProxy/settings/createOptions"
    assert finding.message == "host port 443/tcp is bound by both edgeHub and IoTEdgeAPIProxy"


def test_near_miss_same_port_number_on_udp() -> None:
    content = manifest()
    proxy = agent(content)["modules"]["IoTEdgeAPIProxy"]
    proxy["settings"]["createOptions"] = json.dumps(
        {
            "HostConfig": {
                "PortBindings": {
                    "8000/tcp": [{"HostPort": "8000"}],
                    "443/udp": [{"HostPort": "443"}],
                }
            }
        }
    )
    assert manifest_findings(content, "host-port-conflict") == []
