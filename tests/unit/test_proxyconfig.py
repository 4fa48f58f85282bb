"""The API proxy's template language, quirks included, and the nginx.conf it yields."""

from __future__ import annotations

import base64
import json

import pytest

from acr_edge_cli.proxyconfig import (
    ProxySettings,
    check_with_nginx,
    nginx_tools,
    proxy_settings,
    render_nginx_config,
    substitute,
)
from tests.conftest import GOLDEN


def _render(template: str, env: dict[str, str], parent: str | None = None) -> str:
    return render_nginx_config(
        ProxySettings("IoTEdgeAPIProxy", env, template), parent_hostname=parent
    )


def test_precedence_reserved_then_env_then_defaults_then_zero() -> None:
    text = "${TOKEN_VALIDITY_MINUTES} ${NGINX_DEFAULT_PORT} ${NGINX_DEFAULT_TLS} ${UNSET}"
    env = {"TOKEN_VALIDITY_MINUTES": "999", "NGINX_DEFAULT_PORT": "443"}
    assert substitute(text, env) == "30 443 TLSv1.2 0"


@pytest.mark.parametrize(
    ("expression", "env", "value"),
    [
        ("&(!(${A}),${B})", {"B": "registry:5000"}, "1"),
        ("&(!(${A}),${B})", {"A": "x:1", "B": "registry:5000"}, "0"),
        ("|(${A},${B})", {}, "0"),
        ("!(|(${A},${B}))", {}, "1"),
        ("!(${A})", {"A": "0"}, "1"),
        # a one-character value other than 0 is dropped by the proxy
        ("&(${A},${B})", {"A": "y", "B": "0"}, "0"),
        ("|(${A},${B})", {"A": "y", "B": "0"}, "0"),
    ],
)
def test_boolean_expressions(expression: str, env: dict[str, str], value: str) -> None:
    assert substitute(f"boolean_expression[{expression}]", env) == value


def test_false_blocks_are_removed_non_greedily() -> None:
    template = "a\n#if_tag ${X}\nb\n#endif_tag ${X}\nc\n#if_tag ${Y}\nd\n#endif_tag ${Y}\n"
    assert _render(template, {"Y": "yes"}) == "a\n\nc\n#if_tag yes\nd\n#endif_tag yes\n"


def test_negated_simple_tag_is_never_removed() -> None:
    # documented, but the proxy only removes "#if_tag 0" blocks: both branches stay
    template = "#if_tag ${P}\nparent\n#endif_tag ${P}\n#if_tag !${P}\nno parent\n#endif_tag !${P}\n"
    assert _render(template, {}) == "\n#if_tag !0\nno parent\n#endif_tag !0\n"
    rendered = _render(template, {}, parent="10.0.0.4")
    assert "parent\n" in rendered and "no parent" in rendered


def _manifest(layer: str) -> dict[str, object]:
    path = GOLDEN / f"two-layer/layer-{layer}/deployment.json"
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_default_model_routes_per_layer() -> None:
    top = proxy_settings(_manifest("0/top-layer"))
    assert top is not None and top.module_name == "IoTEdgeAPIProxy"
    top_config = render_nginx_config(top)
    assert "listen 8000 ssl default_server;" in top_config
    assert "set $acr_backend connected-registry:8080;" in top_config
    assert "location /parent/ {\n            return 404;" in top_config
    assert "proxy_ssl_name" not in top_config
    lower = proxy_settings(_manifest("1/lower-layer"))
    assert lower is not None
    lower_config = render_nginx_config(lower, parent_hostname="10.0.0.4")
    assert "set $parent_backend 10.0.0.4:8000;" in lower_config
    assert "proxy_ssl_name IoTEdgeAPIProxy;" in lower_config


def test_custom_proxy_config_from_the_module_twin() -> None:
    manifest = _manifest("0/top-layer")
    template = "listen ${NGINX_DEFAULT_PORT};\n"
    manifest["modulesContent"]["IoTEdgeAPIProxy"] = {  # type: ignore[index]
        "properties.desired": {"proxy_config": base64.b64encode(template.encode()).decode()}
    }
    settings = proxy_settings(manifest)
    assert settings is not None
    assert render_nginx_config(settings) == "listen 8000;\n"


@pytest.mark.skipif(isinstance(nginx_tools(), str), reason="needs nginx and openssl")
def test_nginx_accepts_the_model_and_refuses_a_typo() -> None:
    nginx = nginx_tools()
    assert not isinstance(nginx, str)
    for layer, parent in (("0/top-layer", None), ("1/lower-layer", "top-layer")):
        settings = proxy_settings(_manifest(layer))
        assert settings is not None
        check = check_with_nginx(render_nginx_config(settings, parent_hostname=parent), nginx)
        assert check.ok, check.output
    broken = check_with_nginx("events {}\nhttp { bogus on; }\n", nginx)
    assert not broken.ok
    assert 'unknown directive "bogus" in nginx.conf:2' in broken.output
