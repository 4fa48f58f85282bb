import json
from typing import Any

import pytest

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings

RULE = "registry-trust-store-not-mounted"


def _lower_with_binds(binds: list[str], env: dict[str, Any] | None = None) -> dict[str, Any]:
    content = manifest("lower")
    registry = agent(content)["modules"]["connected-registry"]
    registry["settings"]["createOptions"] = json.dumps({"HostConfig": {"Binds": binds}})
    registry["env"].update({name: {"value": value} for name, value in (env or {}).items()})
    return content


def test_fires_on_a_lower_layer_registry_with_only_its_data_bound() -> None:
    (finding,) = manifest_findings(_lower_with_binds(["/var/lib/cr:/var/acr/data"]), RULE)
    assert finding.pointer == f"{AGENT}/modules/connected-registry/settings/createOptions"
    assert "/etc/ssl/certs:/etc/ssl/certs:ro" in finding.message


@pytest.mark.parametrize(
    ("binds", "env"),
    [
        (["/var/lib/cr:/var/acr/data", "/etc/ssl/certs:/etc/ssl/certs:ro"], None),
        (
            ["/var/lib/cr:/var/acr/data", "/opt/root:/certs:ro"],
            {"SSL_CERT_FILE": "/certs/root.pem"},
        ),
    ],
)
def test_near_miss(binds: list[str], env: dict[str, Any] | None) -> None:
    assert manifest_findings(_lower_with_binds(binds, env), RULE) == []


def test_near_miss_the_top_layer_syncs_from_the_cloud() -> None:
    assert manifest_findings(manifest("top"), RULE) == []


def test_silent_when_create_options_cannot_be_read() -> None:
    content = manifest("lower")
    agent(content)["modules"]["connected-registry"]["settings"]["createOptions"] = "{not json"
    assert manifest_findings(content, RULE) == []
