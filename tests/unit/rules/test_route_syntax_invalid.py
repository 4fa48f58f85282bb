from typing import Any

import pytest

from tests.unit.rules.helpers import HUB, hub, manifest, manifest_findings

RULE = "route-syntax-invalid"


def _with_route(route: Any) -> dict[str, Any]:
    content = manifest()
    hub(content)["routes"] = {"r": route}
    return content


@pytest.mark.parametrize(
    ("route", "says"),
    [
        # the research's missed defect: a source that is no path, a lower-case sink, a ';'
        ('FROM device messages INTO brokeredEndpoint("/modules/a/inputs/b");', "source path"),
        ("FROM /messages/* INTO $downstream", "'$downstream' is not supported"),
        ('FROM /messages/* INTO BrokeredEndpoint("/modules/a/input1")', "not /modules/"),
        ('FROM /messages/* INTO Endpoint("/modules/a/inputs/b")', "'Endpoint' is not supported"),
        ("FROM /messages/* WHERE (temperature > 30 INTO $upstream", "expected ')'"),
        ("FROM /messages/* WHERE name = 'open INTO $upstream", "not closed"),
        ("/messages/* INTO $upstream", "expected FROM"),
        ("FROM /messages/*", "INTO"),
    ],
)
def test_fires_on_a_route_edgehub_cannot_parse(route: str, says: str) -> None:
    (finding,) = manifest_findings(_with_route(route), RULE)
    assert finding.pointer == f"{HUB}/routes/r"
    assert says in finding.message


def test_points_at_the_route_of_a_route_object() -> None:
    (finding,) = manifest_findings(_with_route({"route": "FROM x INTO $upstream"}), RULE)
    assert finding.pointer == f"{HUB}/routes/r/route"


@pytest.mark.parametrize(
    "route",
    [
        "FROM /messages/* INTO $upstream",
        "FROM /messages/* INTO $Upstream",
        "select * FROM /messages/modules/sensor/outputs/* INTO $upstream",
        'FROM /messages/modules/a/outputs/out1 INTO BrokeredEndpoint("/modules/b/inputs/in1")',
        "FROM /messages/* WHERE $body.temperature > 30.5 AND NOT is_defined($connectionModuleId)"
        " INTO $upstream",
        "FROM /messages/* WHERE (a = 'x' OR b <> -1) AND c ?? d INTO $upstream",
        "FROM /twinChangeNotifications INTO $upstream",
        # a template's tokens are names until the template is built
        "FROM /messages/modules/${MODULE}/outputs/* INTO $upstream",
        'FROM /messages/modules/%MODULE%/outputs/* INTO BrokeredEndpoint("/modules/x/inputs/i")',
    ],
)
def test_near_miss(route: str) -> None:
    assert manifest_findings(_with_route(route), RULE) == []
