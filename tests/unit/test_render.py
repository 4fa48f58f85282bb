"""Rendering decisions: chunks, ports, images and credentials per layer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from acr_edge_cli.errors import TemplateError
from acr_edge_cli.loader import parse_yaml
from acr_edge_cli.model import parse_hierarchy
from acr_edge_cli.plan import HierarchyPlan, plan_hierarchy, resolve_image
from acr_edge_cli.render import Renderer, create_options_chunks

HIERARCHY = """\
version: 1
name: t
cloud_registry: {login_server: c.azurecr.io, data_endpoint: c.x.data.azurecr.io}
defaults: {api_proxy: {port: PORT}}
devices:
  - id: top
    connected_registry:
      name: topregistry
      mode: ReadWrite
      repositories: [a]
      sync_token: {name: t, password: "${P}"}
    modules:
      m: {image: "mcr.microsoft.com/x:1", create_options: {Cmd: [LONG]}}
    children:
      - id: child
        registry_credentials: {username: u, password: "${Q}"}
        modules: {n: {image: "a:1"}}
"""


def _plan(port: int = 8000, long: str = "x") -> HierarchyPlan:
    text = HIERARCHY.replace("PORT", str(port)).replace("LONG", long)
    return plan_hierarchy(parse_hierarchy(parse_yaml(text, "h.yaml")))


def _render_user_template(folder: Any, text: str, device: int = 0) -> dict[str, Any]:
    """Render device `device` of _plan() with `text` as the user's manifest template."""
    (folder / "deployment.json.j2").write_text(text)
    plan = _plan()
    return Renderer(folder).render(plan.devices[device], plan).content


def render(port: int = 8000, long: str = "x") -> dict[str, dict[str, Any]]:
    plan = _plan(port, long)
    renderer = Renderer()
    return {d.id: renderer.render(d, plan).content for d in plan.devices}


def agent(manifest: dict[str, Any]) -> dict[str, Any]:
    desired: dict[str, Any] = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]
    return desired


def test_chunks_are_512_characters_and_rejoin_to_minified_json() -> None:
    options = {"Cmd": ["x" * 1200], "Env": ["A=ü"]}
    chunks = create_options_chunks(options)
    assert list(chunks) == ["createOptions", "createOptions01", "createOptions02"]
    assert [len(c) for c in chunks.values()][:2] == [512, 512]
    assert json.loads("".join(chunks.values())) == options
    assert "".join(chunks.values()) == json.dumps(
        options, separators=(",", ":"), ensure_ascii=False
    )


def test_empty_create_options_render_as_an_empty_object() -> None:
    assert create_options_chunks(None) == {"createOptions": "{}"}


def test_long_create_options_are_chunked_in_the_manifest() -> None:
    settings = agent(render(long="y" * 600)["top"])["modules"]["m"]["settings"]
    assert set(settings) == {"image", "createOptions", "createOptions01"}


def test_proxy_on_443_takes_the_port_from_edgehub() -> None:
    top = agent(render(port=443)["top"])
    hub_options = json.loads(top["systemModules"]["edgeHub"]["settings"]["createOptions"])
    assert list(hub_options["HostConfig"]["PortBindings"]) == ["5671/tcp", "8883/tcp"]
    proxy = top["modules"]["IoTEdgeAPIProxy"]
    assert json.loads(proxy["settings"]["createOptions"]) == {
        "HostConfig": {"PortBindings": {"443/tcp": [{"HostPort": "443"}]}}
    }


def test_other_proxy_ports_are_exposed() -> None:
    manifests = render(port=8443)
    proxy = agent(manifests["top"])["modules"]["IoTEdgeAPIProxy"]
    assert json.loads(proxy["settings"]["createOptions"]) == {
        "ExposedPorts": {"8443/tcp": {}},
        "HostConfig": {"PortBindings": {"8443/tcp": [{"HostPort": "8443"}]}},
    }
    child = agent(manifests["child"])
    assert child["modules"]["n"]["settings"]["image"] == "$upstream:8443/a:1"
    assert child["runtime"]["settings"]["registryCredentials"] == {
        "connectedregistry": {"username": "u", "password": "${Q}", "address": "$upstream:8443"}
    }


def test_a_child_without_children_or_registry_has_no_proxy() -> None:
    assert set(agent(render()["child"])["modules"]) == {"n"}


def test_images_with_a_host_are_used_as_written_on_top() -> None:
    assert agent(render()["top"])["modules"]["m"]["settings"]["image"] == "mcr.microsoft.com/x:1"


def test_resolve_image_per_layer() -> None:
    plan = _plan()
    top, child = plan.devices
    assert resolve_image("repo/x:1", top, "c.azurecr.io") == "c.azurecr.io/repo/x:1"
    assert resolve_image("repo/x:1", child, "c.azurecr.io") == "$upstream:8000/repo/x:1"


def test_user_templates_override_and_are_sandboxed(tmp_path: Any) -> None:
    with pytest.raises(TemplateError, match="refused by the template sandbox"):
        _render_user_template(tmp_path, "{{ ''.__class__.__mro__ }}")


def test_user_template_that_is_not_json_is_reported(tmp_path: Any) -> None:
    with pytest.raises(TemplateError, match="rendered text for device top is not JSON"):
        _render_user_template(tmp_path, '{"modulesContent": {{ device.id }}}')


def test_user_template_may_use_the_module_filters(tmp_path: Any) -> None:
    content = _render_user_template(
        tmp_path, '{"x": {{ {"image": "img", "create_options": {}} | module_settings | tojson }}}'
    )
    assert content == {"x": {"image": "img", "createOptions": "{}"}}


@pytest.mark.parametrize(
    "reach",
    [
        '{% include "/etc/passwd" %}',
        '{% include "../../../../etc/passwd" %}',
        '{% import "/etc/hostname" as h %}',
    ],
)
def test_user_templates_cannot_read_files(tmp_path: Any, reach: str) -> None:
    with pytest.raises(TemplateError, match=r"refused to load .*template folders"):
        _render_user_template(tmp_path, reach)


@pytest.mark.parametrize(
    "reach",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ device.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_user_templates_cannot_reach_python_internals(tmp_path: Any, reach: str) -> None:
    with pytest.raises(TemplateError, match=r"refused by the template sandbox|cannot render"):
        _render_user_template(tmp_path, reach)


def test_the_readme_documents_every_template_context_key() -> None:
    from acr_edge_cli.render import manifest_context

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Custom templates", 1)[1].split("Filters:", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?", table, re.MULTILINE))
    keys = {key for pair in documented for key in pair if key}
    plan = _plan()
    assert keys == set(manifest_context(plan.devices[0], plan))


def test_a_user_template_can_lay_out_the_prepared_modules(tmp_path: Any) -> None:
    template = (
        '{"names": {{ manifest_modules | list | tojson }}, '
        '"hub": {{ system_modules.edgeHub.settings.image | tojson }}}'
    )
    content = _render_user_template(tmp_path, template, device=1)
    assert content == {"names": ["n"], "hub": "$upstream:8000/azureiotedge-hub:1.5"}


def test_user_templates_keep_jinja_globals(tmp_path: Any) -> None:
    template = (
        "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}"
        '{% endfor %}{"n": {{ ns.n }}, "d": {{ dict(a=1) | tojson }}}'
    )
    content = _render_user_template(tmp_path, template)
    assert content == {"n": 3, "d": {"a": 1}}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
         "cannot render device top: recursion too deep (a macro that calls itself without end?)"),
        ("{% for i in range(10**9) %}{% endfor %}",
         "cannot render device top: a range or number too large"),
        ("{{ 'x' * 10**10 }}", "refused by the template sandbox: the repetition is too large"),
        ("{{ 2 ** 100000000 }}", "refused by the template sandbox: the power 100000000 is too large"),
        ("{% for i in range(99999) %}{% for j in range(99999) %}{{ 'x' * 99 }}{% endfor %}{% endfor %}",
         "the text for device top passes 8388608 characters; no manifest is that large"),
    ],
    ids=["recursion", "range", "repetition", "power", "output"],
)  # fmt: skip
def test_user_templates_are_bounded_and_fail_with_one_line(
    tmp_path: Any, template: str, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        _render_user_template(tmp_path, template)
    assert str(caught.value) == f"deployment.json.j2: {message}"


def test_a_user_template_that_never_ends_is_stopped(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acr_edge_cli import render as render_module

    monkeypatch.setattr(render_module, "MAX_RENDER_SECONDS", 0.5)
    endless = "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}"
    with pytest.raises(TemplateError) as caught:
        _render_user_template(tmp_path, endless)
    assert str(caught.value) == (
        "deployment.json.j2: rendering device top took over 0.5 s (a loop that does not end?)"
    )


def test_runtime_quality_telemetry_is_off_unless_the_hierarchy_turns_it_on() -> None:
    def telemetry(text: str) -> str:
        plan = plan_hierarchy(parse_hierarchy(parse_yaml(text, "h.yaml")))
        content = Renderer().render(plan.devices[0], plan).content
        env = agent(content)["systemModules"]["edgeAgent"]["env"]
        value: str = env["SendRuntimeQualityTelemetry"]["value"]
        return value

    base = HIERARCHY.replace("PORT", "8000").replace("LONG", "x")
    assert telemetry(base) == "false"
    turned_on = base.replace(
        "defaults: {api_proxy: {port: 8000}}",
        "defaults: {api_proxy: {port: 8000}, edge_runtime: {runtime_quality_telemetry: true}}",
    )
    assert telemetry(turned_on) == "true"
