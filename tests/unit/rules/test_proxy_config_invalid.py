import base64

import pytest

from tests.unit.rules.helpers import manifest, manifest_findings

POINTER = "/modulesContent/IoTEdgeAPIProxy/properties.desired/proxy_config"


def _with_config(value: object) -> dict[str, object]:
    content = manifest()
    content["modulesContent"]["IoTEdgeAPIProxy"] = {"properties.desired": {"proxy_config": value}}
    return content


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("not base64!", "is not base64"),
        (
            _b64("#if_tag !${IOTEDGE_PARENTHOSTNAME}\nx\n#endif_tag !${IOTEDGE_PARENTHOSTNAME}\n"),
            "never removes",
        ),
        (_b64("x" * 3100), "a twin value holds at most 4096"),
    ],
)
def test_fires(value: str, fragment: str) -> None:
    (finding,) = manifest_findings(_with_config(value), "proxy-config-invalid")
    assert finding.pointer == POINTER
    assert fragment in finding.message


def test_near_miss_boolean_expression_negation() -> None:
    text = "#if_tag boolean_expression[!(${X})]\nx\n#endif_tag boolean_expression[!(${X})]\n"
    assert manifest_findings(_with_config(_b64(text)), "proxy-config-invalid") == []


def _with_proxy_env(name: str, value: str) -> dict[str, object]:
    content = manifest()
    modules = content["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]
    modules["IoTEdgeAPIProxy"]["env"][name] = {"value": value}
    return content


def test_fires_on_a_value_envsubst_refuses() -> None:
    content = _with_proxy_env("NGINX_DEFAULT_CIPHERS", "ECDHE-RSA-AES256-GCM-SHA384:{weak}")
    (finding,) = manifest_findings(content, "proxy-config-invalid")
    assert finding.pointer == (
        "/modulesContent/$edgeAgent/properties.desired/modules/IoTEdgeAPIProxy/env/"
        "NGINX_DEFAULT_CIPHERS/value"
    )
    assert "the proxy rejects its whole configuration" in finding.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NGINX_DEFAULT_CIPHERS", "${CIPHERS}"),  # a placeholder, filled in before
        ("SOME_UNUSED_SETTING", "a{b}"),  # the template never substitutes it
    ],
)
def test_near_miss_values_the_proxy_never_substitutes(name: str, value: str) -> None:
    assert manifest_findings(_with_proxy_env(name, value), "proxy-config-invalid") == []
