from typing import Any

import pytest

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings

RULE = "registry-credentials-invalid"
CREDENTIALS = f"{AGENT}/runtime/settings/registryCredentials"


def _with(entry: Any) -> dict[str, Any]:
    content = manifest()
    agent(content)["runtime"]["settings"]["registryCredentials"] = {"acr": entry}
    return content


@pytest.mark.parametrize(
    ("entry", "pointer", "says"),
    [
        ({"username": "u", "password": "p"}, "/acr", "lack address"),
        ({"address": "", "username": "u", "password": "p"}, "/acr/address", "empty"),
        ({"address": "a.azurecr.io", "username": 1, "password": "p"}, "/acr/username", "a number"),
        ({"address": "a.azurecr.io", "username": "u", "password": None}, "/acr/password", "null"),
        ("a.azurecr.io", "/acr", "must be a mapping"),
    ],
)
def test_fires_on_an_entry_edgeagent_cannot_use(entry: Any, pointer: str, says: str) -> None:
    (finding,) = manifest_findings(_with(entry), RULE)
    assert finding.pointer == CREDENTIALS + pointer
    assert says in finding.message


@pytest.mark.parametrize(
    "entry",
    [
        {"address": "a.azurecr.io", "username": "u", "password": "${ACR_PASSWORD}"},
        {"address": "$CONTAINER_REGISTRY_ADDRESS", "username": "$USER", "password": "$PW"},
    ],
)
def test_near_miss(entry: Any) -> None:
    assert manifest_findings(_with(entry), RULE) == []
