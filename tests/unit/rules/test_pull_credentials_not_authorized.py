from pathlib import Path
from typing import Any

import pytest

from tests.unit.rules.helpers import device, hierarchy, hierarchy_findings

RULE = "pull-credentials-not-authorized"


def _leaf(username: str, client_tokens: list[str]) -> dict[str, Any]:
    data = hierarchy()
    device(data, 0, 0)["connected_registry"]["client_tokens"] = client_tokens
    device(data, 0, 0)["api_proxy"] = True
    device(data, 0, 0).setdefault("hostname", "lower-layer.contoso.local")
    device(data, 0, 0)["children"] = [
        {
            "id": "line-device",
            "registry_credentials": {"username": username, "password": "${LINE_PASSWORD}"},
        }
    ]
    return data


def test_fires_on_a_username_the_parent_registry_does_not_accept(tmp_path: Path) -> None:
    (finding,) = hierarchy_findings(_leaf("nottheclienttoken", ["line-token"]), RULE, tmp_path)
    assert finding.pointer == "/devices/0/children/0/children/0/registry_credentials/username"
    assert "line-token" in finding.message


@pytest.mark.parametrize("username", ["line-token", "LINE-TOKEN"])
def test_near_miss(username: str, tmp_path: Path) -> None:
    data = _leaf(username, ["line-token"])
    assert hierarchy_findings(data, RULE, tmp_path) == []
