"""A deliberately broken copy of every example, one defect per copy, is caught by the named
rule at the right pointer and line (of the hierarchy file, or of the manifest as written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acr_edge_cli.generate import generate
from tests.conftest import EXAMPLES

AGENT = "/modulesContent/$edgeAgent/properties.desired"
TWO = "two-layer.yaml"
PLANT = "factory-isa95.yaml"

# (example, text to replace, replacement, rule, pointer, text on the reported line,
#  manifest the finding is in or None for the hierarchy file)
CASES = [
    (
        TWO,
        "name: topregistry",
        "name: top-registry",
        "registry-name-invalid",
        "/devices/0/connected_registry/name",
        "name: top-registry",
        None,
    ),
    (
        TWO,
        "          mode: ReadOnly",
        "          mode: Mirror",
        "registry-mode-alias",
        "/devices/0/children/0/connected_registry/mode",
        "mode: Mirror",
        None,
    ),
    (
        TWO,
        "            - azureiotedge-api-proxy\n",
        "            - azureiotedge-api-proxy\n            - hello-world\n",
        "repositories-not-subset",
        "/devices/0/children/0/connected_registry/repositories/4",
        "- hello-world",
        None,
    ),
    (
        TWO,
        "        - azureiotedge-hub\n",
        "",
        "image-not-synced",
        "/devices/0/children/0/id",
        "- id: lower-layer",
        None,
    ),
    (
        TWO,
        "      mode: ReadWrite\n",
        '      mode: ReadWrite\n      sync: {schedule: "0 */4 * * *"}\n',
        "sync-window-invalid",
        "/devices/0/connected_registry/sync/schedule",
        "sync:",
        None,
    ),
    (
        TWO,
        "password: ${TOP_SYNC_TOKEN_PASSWORD}",
        "password: hunter2",
        "literal-secret",
        "/devices/0/connected_registry/sync_token/password",
        "password: hunter2",
        None,
    ),
    (
        TWO,
        "      mode: ReadWrite\n",
        "      mode: ReadWrite\n      notifications: [hello-world]\n",
        "notification-pattern-invalid",
        "/devices/0/connected_registry/notifications/0",
        "notifications: [hello-world]",
        None,
    ),
    (
        TWO,
        "      - id: lower-layer\n",
        "      - id: lower-layer\n        api_proxy: {port: 443}\n",
        "proxy-port-inconsistent",
        "/devices/0/children/0/api_proxy/port",
        "port: 443",
        None,
    ),
    (
        TWO,
        "    hostname: top-layer.contoso.local\n",
        "    hostname: top-layer.contoso.local\n    api_proxy: false\n",
        "parent-without-proxy",
        "/devices/0/api_proxy",
        "api_proxy: false",
        None,
    ),
    (
        TWO,
        "    hostname: top-layer.contoso.local\n",
        "    hostname: top-layer.contoso.local\n    modules:\n      web:\n"
        "        image: nginx:1.27\n"
        "        create_options: {HostConfig: {PortBindings: {443/tcp: [{HostPort: '443'}]}}}\n",
        "host-port-conflict",
        f"{AGENT}/modules/web/settings/createOptions",
        '"createOptions": "{\\"HostConfig\\":{\\"PortBindings\\":{\\"443/tcp\\"',
        "layer-0/top-layer/deployment.json",
    ),
    (
        PLANT,
        "- id: line-2-controller",
        "- id: line-1-controller",
        "device-id-duplicate",
        "/devices/0/children/0/children/1/id",
        "- id: line-1-controller",
        None,
    ),
    (
        PLANT,
        "message_ttl: P7D",
        "message_ttl: P100D",
        "message-ttl-invalid",
        "/devices/0/connected_registry/sync/message_ttl",
        "message_ttl: P100D",
        None,
    ),
    (
        PLANT,
        'schedule: "0 */4 * * *"',
        'schedule: "0 */4 * *"',
        "sync-schedule-invalid",
        "/devices/0/connected_registry/sync/schedule",
        'schedule: "0 */4 * *"',
        None,
    ),
    (
        PLANT,
        "client_tokens: [line-controllers]",
        "client_tokens: [" + ", ".join(f"t{i}" for i in range(21)) + "]",
        "client-tokens-too-many",
        "/devices/0/children/0/connected_registry/client_tokens",
        "client_tokens: [t0",
        None,
    ),
    (
        PLANT,
        "                image: industrial-iot/opc-publisher:2.9.10",
        "                image: mcr.microsoft.com/iotedge/opc-publisher:2.9.10",
        "image-host-below-top",
        "/devices/0/children/0/children/0/modules/OPCPublisher/image",
        "mcr.microsoft.com/iotedge/opc-publisher",
        None,
    ),
    (
        PLANT,
        "telemetry: FROM /messages/modules/OPCPublisher/*",
        "telemetry: FROM /messages/modules/OPCPublsher/*",
        "route-unknown-module",
        "/modulesContent/$edgeHub/properties.desired/routes/telemetry",
        '"telemetry": "FROM',
        "layer-2/line-1-controller/deployment.json",
    ),
]


@pytest.mark.parametrize(
    ("example", "old", "new", "rule", "pointer", "marker", "manifest"),
    CASES,
    ids=[f"{c[0]}:{c[3]}" for c in CASES],
)
def test_broken_copy_is_caught(
    tmp_path: Path,
    example: str,
    old: str,
    new: str,
    rule: str,
    pointer: str,
    marker: str,
    manifest: str | None,
) -> None:
    text = (EXAMPLES / example).read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    broken = tmp_path / example
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = generate(broken, output="out", environ={})
    hits = [d for d in result.diagnostics if d.rule == rule and d.pointer == pointer]
    assert hits, [d.one_line() for d in result.diagnostics]
    hit = hits[0]
    if manifest is None:
        assert hit.file == str(broken)
        lines = broken.read_text(encoding="utf-8").splitlines()
    else:
        assert hit.file == f"out/{manifest}"
        data = next(m.data for m in result.manifests if m.path == manifest)
        lines = data.decode("utf-8").splitlines()
    assert hit.line is not None
    assert marker in lines[hit.line - 1]
