"""The API proxy's template language, quirks included, and the nginx.conf it yields."""

from __future__ import annotations

import base64
import json

import pytest

from acr_edge_cli.proxyconfig import (
    ProxySettings,
    RefusedValue,
    check_with_nginx,
    default_template,
    nginx_tools,
    proxy_settings,
    render_nginx_config,
    resolved_as_on_device,
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
    template = "#if_tag ${IOTEDGE_PARENTHOSTNAME}\nparent\n#endif_tag ${IOTEDGE_PARENTHOSTNAME}\n#if_tag !${IOTEDGE_PARENTHOSTNAME}\nno parent\n#endif_tag !${IOTEDGE_PARENTHOSTNAME}\n"
    assert _render(template, {}) == "\n#if_tag !0\nno parent\n#endif_tag !0\n"
    rendered = _render(template, {}, parent="10.0.0.4")
    assert "parent\n" in rendered and "no parent" in rendered


def _directives(config: str) -> str:
    """The configuration without its comment lines."""
    return "\n".join(line for line in config.splitlines() if not line.lstrip().startswith("#"))


def _manifest(layer: str) -> dict[str, object]:
    path = GOLDEN / f"two-layer/layer-{layer}/deployment.json"
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_default_model_routes_per_layer() -> None:
    top = proxy_settings(_manifest("0/top-layer"))
    assert top is not None and top.module_name == "IoTEdgeAPIProxy"
    assert top.version == (1, 1)
    assert "connected-registry" in top.modules
    top_config = _directives(render_nginx_config(top))
    assert "listen 8000 ssl default_server;" in top_config
    # a static upstream (resolved when nginx starts), HTTP/1.1, 1000G a request
    assert top_config.count("proxy_pass http://connected-registry:8080;") == 2
    assert top_config.count("client_max_body_size 1000G;") == 2
    assert top_config.count("proxy_http_version 1.1;") >= 4
    # no blob module here: uploads go to the parent, which the top layer does not have
    assert "rewrite ^(.*)$ /parent$1 last;" in top_config
    assert "location ~ ^/parent/" not in top_config
    assert "/storage" not in top_config and "/registry" not in top_config
    # IoT Hub traffic always reaches edgeHub, behind the token check
    assert "location ~ ^/devices|twins/ {\n            auth_request /auth;" in top_config
    assert "proxy_pass http://127.0.0.1:6001;" in top_config
    assert "proxy_cache_valid any 30m;" in top_config
    lower = proxy_settings(_manifest("1/lower-layer"))
    assert lower is not None
    lower_config = _directives(render_nginx_config(lower, parent_hostname="10.0.0.4"))
    assert "proxy_pass https://10.0.0.4:8000$request_uri;" in lower_config
    assert "proxy_ssl_name IoTEdgeAPIProxy;" in lower_config
    assert "#if_tag 0" not in render_nginx_config(top)  # false blocks are gone


def test_no_registry_route_sends_v2_to_the_parent_and_both_routes_keep_acr() -> None:
    lower = proxy_settings(_manifest("1/lower-layer"))
    assert lower is not None
    without = dict(lower.env)
    del without["CONNECTED_ACR_ROUTE_ADDRESS"]
    config = _render(default_template(), without, parent="10.0.0.4")
    assert "if ($uri ~ ^/v2*.) {\n            rewrite ^(.*)$ /parent$1 last;" in config
    assert "location /acr" not in config
    both = {**lower.env, "DOCKER_REQUEST_ROUTE_ADDRESS": "registry:5000"}
    config = _render(default_template(), both, parent="10.0.0.4")
    # the Docker route's rewrite runs first and takes /v2; /acr stays with the connected
    # registry
    assert config.index("rewrite ^(.*)$ /registry$1 last;") < config.index("location /v2")
    assert "location /acr" in config
    assert "set $registry_upstream http://registry:5000$request_uri;" in config
    assert "rewrite ^(.*)$ /parent$1 last;" in config  # blob uploads only
    assert config.count("rewrite ^(.*)$ /parent$1 last;") == 1


def test_blob_route_goes_to_the_local_module_per_request() -> None:
    config = _directives(_render(default_template(), {"BLOB_UPLOAD_ROUTE_ADDRESS": "blob:11002"}))
    assert "rewrite ^(.*)$ /storage$1 last;" in config
    assert "set $blob_upstream http://blob:11002$request_uri;" in config
    assert "if ($http_x_ms_version) {\n            rewrite ^(.*)$ /parent" not in config


@pytest.mark.parametrize("value", ["HIGH:${EXTRA}", "a{b", "a}b", "$CIPHERS"])
def test_envsubst_refuses_dollar_and_braces_in_a_value_the_template_uses(value: str) -> None:
    with pytest.raises(RefusedValue, match="NGINX_DEFAULT_CIPHERS holds one of"):
        _render(default_template(), {"NGINX_DEFAULT_CIPHERS": value})
    # a variable the template does not use is never substituted, so never refused
    assert _render("listen ${NGINX_DEFAULT_PORT};", {"UNUSED": value}) == "listen 8000;"


def test_the_1_0_parser_removed_negated_blocks_whose_variable_is_set() -> None:
    template = "#if_tag ${IOTEDGE_PARENTHOSTNAME}\nparent\n#endif_tag ${IOTEDGE_PARENTHOSTNAME}\n#if_tag !${IOTEDGE_PARENTHOSTNAME}\nno parent\n#endif_tag !${IOTEDGE_PARENTHOSTNAME}\n"
    old = ProxySettings("IoTEdgeAPIProxy", {}, template, version=(1, 0))
    assert "no parent" not in render_nginx_config(old, parent_hostname="10.0.0.4")
    assert "no parent" in render_nginx_config(old)  # unset: "!0" stays
    new = ProxySettings("IoTEdgeAPIProxy", {}, template, version=(1, 1))
    assert "no parent" in render_nginx_config(new, parent_hostname="10.0.0.4")


def test_route_addresses_are_resolved_as_docker_dns_would() -> None:
    settings = ProxySettings(
        "IoTEdgeAPIProxy",
        {"CONNECTED_ACR_ROUTE_ADDRESS": "connectedRegistry:8080",
         "BLOB_UPLOAD_ROUTE_ADDRESS": "Blob:11002"},
        None,
        frozenset({"connected-registry", "blob", "iotedgeapiproxy"}),
    )  # fmt: skip
    resolved = resolved_as_on_device(settings)
    assert resolved.env == {
        "CONNECTED_ACR_ROUTE_ADDRESS": "connectedRegistry.invalid:8080",
        "BLOB_UPLOAD_ROUTE_ADDRESS": "127.0.0.1:11002",
    }


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
        config = render_nginx_config(resolved_as_on_device(settings), parent_hostname=parent)
        check = check_with_nginx(config, nginx)
        assert check.ok, check.output
        assert check.unresolved == ()
    broken = check_with_nginx("events {}\nhttp { bogus on; }\n", nginx)
    assert not broken.ok
    assert 'unknown directive "bogus" in nginx.conf:2' in broken.output


@pytest.mark.skipif(isinstance(nginx_tools(), str), reason="needs nginx and openssl")
def test_nginx_does_not_start_on_a_registry_name_that_does_not_resolve() -> None:
    nginx = nginx_tools()
    assert not isinstance(nginx, str)
    settings = proxy_settings(_manifest("0/top-layer"))
    assert settings is not None
    wrong = ProxySettings(
        settings.module_name,
        {**settings.env, "CONNECTED_ACR_ROUTE_ADDRESS": "connectedRegistry:8080"},
        None,
        settings.modules,
    )
    check = check_with_nginx(render_nginx_config(resolved_as_on_device(wrong)), nginx)
    assert not check.ok
    assert check.unresolved == ("connectedRegistry",)
