"""What acr-edge generates lets a real client push and pull through real proxies, layer by
layer: Debian's nginx runs each device's API proxy configuration (as proxyconfig renders it
from the manifest), the CNCF distribution registry (`docker-registry`) stands where each
connected registry would be, and skopeo is the client, all over TLS from a test CA.

Each device gets its own loopback address (127.0.0.N), so every proxy can listen on the
same port, as on real devices. Stand-ins for the IoT Edge runtime (tests/e2e/standins.py):
module names resolve to the device's address, by a DNS server per device for the names nginx
looks up per request and, for the connected registry's static upstream (looked up once, when
nginx starts, through the system resolver), by writing the device's address for a module of
the deployment; edgeHub and the proxy's token server answer on the device; and a lower
layer's registry is a pull-through mirror of its parent's proxy (the connected registry
syncs from its parent the same way, through the parent's API proxy).

Without nginx, docker-registry, skopeo or openssl these tests skip and say what to install;
with ACR_EDGE_E2E_REQUIRED=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from acr_edge_cli.generate import generate, write_generated
from acr_edge_cli.proxyconfig import (
    STATIC_ROUTES,
    ProxySettings,
    proxy_settings,
    render_nginx_config,
)
from tests.conftest import EXAMPLES
from tests.e2e.standins import DNS_PORT, DnsStandIn, HttpStandIn, SeenRequest

TOOLS = {
    "nginx": "nginx",
    "docker-registry": "docker-registry",
    "skopeo": "skopeo",
    "openssl": "openssl",
}
MISSING = [
    name
    for name, binary in TOOLS.items()
    if not (shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists())
]
if MISSING:
    message = (
        f"e2e needs {', '.join(MISSING)}: apt-get install nginx docker-registry skopeo openssl"
    )
    if os.environ.get("ACR_EDGE_E2E_REQUIRED"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

trustme = pytest.importorskip("trustme")
PROXY_PORT = 8000
REGISTRY_PORT = 8080
EDGEHUB_PORT = 443  # the proxy calls https://edgehub
TOKEN = "SharedAccessSignature sr=stand-in-token"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited: {log.read_text(errors='replace')}")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}: {log.read_text(errors='replace')}")


@dataclass
class Fleet:
    """The running stand-ins for one generated hierarchy."""

    root: Path
    ca: Any
    address: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stand_ins: list[Any] = field(default_factory=list)
    edgehub: dict[str, HttpStandIn] = field(default_factory=dict)
    #: what the proxy module's token server answers the /auth check
    token_status: int = 200
    #: the log of a proxy that did not start
    refused: str = ""
    recorded: HttpStandIn | None = None

    @property
    def ca_file(self) -> Path:
        return self.root / "certs" / "ca.crt"

    def start_registry(self, device: str, parent: str | None) -> None:
        folder = self.root / device / "registry"
        folder.mkdir(parents=True)
        config = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(folder / "data")}},
            "http": {"addr": f"{self.address[device]}:{REGISTRY_PORT}"},
        }
        if parent is not None:
            config["proxy"] = {"remoteurl": f"https://{self.address[parent]}:{PROXY_PORT}"}
        (folder / "config.yml").write_text(json.dumps(config))  # JSON is YAML
        log = folder / "log"
        with log.open("wb") as sink:  # the child keeps its own descriptor
            process = subprocess.Popen(
                ["docker-registry", "serve", str(folder / "config.yml")],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, "SSL_CERT_FILE": str(self.ca_file)},
            )
        self.processes.append(process)
        _wait_for_port(self.address[device], REGISTRY_PORT, process, log)

    def start_device_services(self, device: str) -> None:
        """What answers beside the proxy on every device: Docker's DNS, edgeHub."""
        dns = DnsStandIn(self.modules[device] | {"edgehub"}, self.address[device])
        dns.start()
        self.stand_ins.append(dns)
        folder = self.root / device / "edgehub"
        folder.mkdir(parents=True)
        cert = self.ca.issue_cert("edgehub")
        cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
        hub = HttpStandIn(
            self.address[device],
            EDGEHUB_PORT,
            lambda seen: (200, {"Content-Type": "application/json"}, b'{"edgeHub": true}'),
            tls=(folder / "server.pem", folder / "server.pem"),
        )
        hub.start()
        self.stand_ins.append(hub)
        self.edgehub[device] = hub

    def start_token_server(self) -> None:
        """The proxy module's token server, inside its container: 127.0.0.1:6001."""

        def answer(seen: SeenRequest) -> tuple[int, dict[str, str], bytes]:
            return self.token_status, {"x-token": TOKEN}, b""

        server = HttpStandIn("127.0.0.1", 6001, answer)
        server.start()
        self.stand_ins.append(server)

    def start_proxy(
        self, device: str, settings: ProxySettings, parent: str | None, *, starts: bool = True
    ) -> str:
        """nginx with the configuration this device's API proxy would run. With
        `starts=False`, wait for nginx to exit instead, and return its log."""
        folder = self.root / device / "proxy"
        folder.mkdir(parents=True)
        cert = self.ca.issue_cert(self.address[device], settings.module_name.lower())
        cert.private_key_pem.write_to_path(str(folder / "private_key_server.pem"))
        cert.cert_chain_pems[0].write_to_path(str(folder / "server.crt"))
        shutil.copy(self.ca_file, folder / "trustedCA.crt")
        env = {
            name: self._resolve(value) if name in STATIC_ROUTES else value
            for name, value in settings.env.items()
        }
        config = render_nginx_config(
            ProxySettings(settings.module_name, env, settings.template),
            parent_hostname=self.address[parent] if parent else None,
        )
        # All devices share this host: pin each proxy to its device's address, and send the
        # lookups nginx makes per request to the device's DNS stand-in.
        config = re.sub(r"listen (\d+) ", rf"listen {self.address[device]}:\1 ", config)
        config = config.replace(
            "resolver 127.0.0.11;", f"resolver {self.address[device]}:{DNS_PORT} ipv6=off;"
        )
        (folder / "nginx.conf").write_text(config)
        log = folder / "log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [NGINX, "-p", f"{folder}/", "-c", "nginx.conf", "-e", "stderr",
                 "-g", "daemon off; user root;"],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.processes.append(process)
        if not starts:
            process.wait(timeout=30)
            return log.read_text(errors="replace")
        _wait_for_port(self.address[device], PROXY_PORT, process, log)
        return config

    def proxy_log(self, device: str) -> str:
        return (self.root / device / "proxy" / "log").read_text(errors="replace")

    def _resolve(self, address: str) -> str:
        """What Docker's DNS does for a module name: the module's device address."""
        name, _, port = address.rpartition(":")
        for device, modules in self.modules.items():
            if name in modules:
                return f"{self.address[device]}:{port}"
        return address  # unknown: nginx will not find it either

    modules: dict[str, set[str]] = field(default_factory=dict)

    def stop(self) -> None:
        for stand_in in self.stand_ins:
            stand_in.stop()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def _blob(folder: Path, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (folder / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def build_image(folder: Path, content: bytes) -> str:
    """A one-layer OCI image layout holding `content`; returns its manifest digest."""
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("content.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = archive.getvalue()
    layer = _blob(blobs, gzip.compress(tar_bytes, mtime=0))
    config = _blob(
        blobs,
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {
                    "type": "layers",
                    "diff_ids": [f"sha256:{hashlib.sha256(tar_bytes).hexdigest()}"],
                },
                "config": {},
            }
        ).encode(),
    )
    manifest_bytes = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        }
    ).encode()
    manifest = _blob(blobs, manifest_bytes)
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (folder / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        **manifest,
                        "annotations": {"org.opencontainers.image.ref.name": "latest"},
                    }
                ],
            }
        )
    )
    return str(manifest["digest"])


def skopeo(*args: str, certs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["skopeo", "--command-timeout", "60s", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "REGISTRY_AUTH_FILE": str(certs / "auth.json")},
    )


def _generated(example: str, root: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    out = root / "out"
    write_generated(generate(EXAMPLES / example, output=str(out), environ={}), out)
    index = json.loads((out / "index.json").read_text())
    manifests = {d["id"]: json.loads((out / d["manifest"]).read_text()) for d in index["devices"]}
    return index, manifests


def _modules(manifest: dict[str, Any]) -> dict[str, Any]:
    modules: dict[str, Any] = manifest["modulesContent"]["$edgeAgent"]["properties.desired"][
        "modules"
    ]
    return modules


def _images(manifest: dict[str, Any]) -> list[str]:
    desired = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]
    modules = [*desired["systemModules"].values(), *desired["modules"].values()]
    return [m["settings"]["image"] for m in modules]


@pytest.fixture
def fleet_for(tmp_path: Path) -> Iterator[Any]:
    fleets: list[Fleet] = []

    def start(
        example: str,
        edit: Any = None,
        *,
        token_status: int = 200,
        not_starting: str = "",
        recording_registry: str = "",
    ) -> tuple[Fleet, dict[str, Any], dict[str, dict[str, Any]]]:
        """`not_starting`: the device whose proxy must fail to start (its log is then in
        `fleet.refused`; the devices below it are not started). `recording_registry`: the
        device whose registry is a stand-in that records requests (`fleet.recorded`)."""
        index, manifests = _generated(example, tmp_path)
        if edit is not None:
            edit(manifests)
        fleet = Fleet(tmp_path / "fleet", trustme.CA(), token_status=token_status)
        fleets.append(fleet)
        fleet.start_token_server()
        (fleet.root / "certs").mkdir(parents=True)
        fleet.ca.cert_pem.write_to_path(str(fleet.ca_file))
        (fleet.root / "certs" / "auth.json").write_text("{}")
        parents = {d["id"]: d["parent"] for d in index["devices"]}
        for number, device in enumerate(parents):
            fleet.address[device] = f"127.0.0.{20 + number}"
            fleet.modules[device] = set(_modules(manifests[device]))
            fleet.start_device_services(device)
        down = {not_starting}
        for device, parent in parents.items():  # parents first, as index.json lists them
            if parent in down:  # nothing to sync from: the stand-in mirror would not start
                down.add(device)
                continue
            if device == recording_registry:
                fleet.recorded = HttpStandIn(
                    fleet.address[device],
                    REGISTRY_PORT,
                    lambda seen: (200, {"Content-Type": "application/json"}, b"{}"),
                )
                fleet.recorded.start()
                fleet.stand_ins.append(fleet.recorded)
            elif any(
                "ACR_REGISTRY_CONNECTION_STRING" in m.get("env", {})
                for m in _modules(manifests[device]).values()
            ):
                fleet.start_registry(device, parent)
            settings = proxy_settings(manifests[device])
            if settings is not None and device == not_starting:
                fleet.refused = fleet.start_proxy(device, settings, parent, starts=False)
            elif settings is not None:
                fleet.start_proxy(device, settings, parent)
        return fleet, index, manifests

    yield start
    for fleet in fleets:
        fleet.stop()


def _push_everything_lower_layers_pull(
    fleet: Fleet, index: dict[str, Any], manifests: dict[str, dict[str, Any]], work: Path
) -> dict[str, str]:
    """Push through the top layer's proxy one image per repository:tag that any lower
    layer references; returns their digests."""
    top = next(d["id"] for d in index["devices"] if d["parent"] is None)
    wanted = sorted(
        {
            image.split("/", 1)[1]
            for device in index["devices"]
            if device["parent"] is not None
            for image in _images(manifests[device["id"]])
        }
    )
    digests = {}
    for number, reference in enumerate(wanted):
        layout = work / "images" / str(number)
        digest = build_image(layout, f"image {reference}\n".encode())
        pushed = skopeo(
            "copy", "--preserve-digests", "--dest-cert-dir", str(fleet.ca_file.parent),
            f"oci:{layout}:latest", f"docker://{fleet.address[top]}:{PROXY_PORT}/{reference}",
            certs=fleet.ca_file.parent,
        )  # fmt: skip
        assert pushed.returncode == 0, pushed.stderr
        digests[reference] = digest
    return digests


def _pulled_digest(fleet: Fleet, host: str, reference: str) -> str:
    result = skopeo(
        "inspect", "--cert-dir", str(fleet.ca_file.parent),
        f"docker://{host}:{PROXY_PORT}/{reference}", certs=fleet.ca_file.parent,
    )  # fmt: skip
    assert result.returncode == 0, f"{host} {reference}: {result.stderr}"
    return str(json.loads(result.stdout)["Digest"])


@pytest.mark.parametrize("example", ["two-layer.yaml", "factory-isa95.yaml"])
def test_every_lower_layer_pulls_its_images_through_its_parent(
    example: str, fleet_for: Any, tmp_path: Path
) -> None:
    fleet, index, manifests = fleet_for(example)
    digests = _push_everything_lower_layers_pull(fleet, index, manifests, tmp_path)
    pulled = 0
    for device in index["devices"]:
        if device["parent"] is None:
            continue
        for image in _images(manifests[device["id"]]):
            upstream, reference = image.split("/", 1)
            assert upstream == f"$upstream:{PROXY_PORT}"
            # edgeAgent replaces $upstream with the parent's host name
            parent_host = fleet.address[device["parent"]]
            assert _pulled_digest(fleet, parent_host, reference) == digests[reference]
            pulled += 1
    assert pulled == sum(len(_images(manifests[d["id"]])) for d in index["devices"] if d["parent"])


def _get(url: str, fleet: Fleet) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(fleet.ca_file))
    try:
        with urllib.request.urlopen(url, context=context, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_acr_path_reaches_the_registry(fleet_for: Any) -> None:
    fleet, _, _ = fleet_for("two-layer.yaml")
    top = fleet.address["top-layer"]
    status, body = _get(f"https://{top}:{PROXY_PORT}/acr/v1/", fleet)
    # the distribution registry's own answer for a path it does not serve, not nginx's page
    assert (status, body) == (404, "404 page not found\n")
    status, body = _get(f"https://{top}:{PROXY_PORT}/v2/", fleet)
    assert (status, body) == (200, "{}")


def _drop_registry_route(device: str) -> Any:
    def edit(manifests: dict[str, dict[str, Any]]) -> None:
        del _modules(manifests[device])["IoTEdgeAPIProxy"]["env"]["CONNECTED_ACR_ROUTE_ADDRESS"]

    return edit


def test_top_layer_without_registry_route_answers_404(fleet_for: Any) -> None:
    fleet, _, _ = fleet_for("two-layer.yaml", _drop_registry_route("top-layer"))
    status, _ = _get(f"https://{fleet.address['top-layer']}:{PROXY_PORT}/v2/", fleet)
    assert status == 404


def test_lower_layer_without_registry_route_forwards_to_its_parent(
    fleet_for: Any, tmp_path: Path
) -> None:
    fleet, index, manifests = fleet_for("two-layer.yaml", _drop_registry_route("lower-layer"))
    digests = _push_everything_lower_layers_pull(fleet, index, manifests, tmp_path)
    reference = "azureiotedge-hub:1.5"
    # through the lower layer's own proxy: /v2 -> /parent -> the parent's proxy, over TLS
    assert _pulled_digest(fleet, fleet.address["lower-layer"], reference) == digests[reference]


def test_a_registry_route_naming_no_module_stops_the_proxy_from_starting(
    fleet_for: Any,
) -> None:
    def wrong_route(manifests: dict[str, dict[str, Any]]) -> None:
        env = _modules(manifests["top-layer"])["IoTEdgeAPIProxy"]["env"]
        env["CONNECTED_ACR_ROUTE_ADDRESS"]["value"] = "connectedRegistry:8080"  # the old sample's

    fleet, _, _ = fleet_for("two-layer.yaml", wrong_route, not_starting="top-layer")
    # nginx resolves the static upstream when it starts: an unknown name stops it, so
    # nothing answers on the port, not registry requests and not edgeHub's either
    assert "[emerg]" in fleet.refused
    assert 'host not found in upstream "connectedRegistry"' in fleet.refused
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex((fleet.address["top-layer"], PROXY_PORT)) != 0


def _request(
    url: str,
    fleet: Fleet,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    context = ssl.create_default_context(cafile=str(fleet.ca_file))
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_iot_hub_paths_reach_edgehub_behind_the_token_check(fleet_for: Any) -> None:
    fleet, _, _ = fleet_for("two-layer.yaml")
    lower = fleet.address["lower-layer"]
    twin = "/devices/sensor/modules/opc/twin?api-version=2020-09-30"
    assert _request(f"https://{lower}:{PROXY_PORT}{twin}", fleet) == (200, b'{"edgeHub": true}')
    # "...twins/" anywhere in the path is IoT Hub traffic too; a client's own
    # Authorization goes through unchanged, and without one the token server's
    assert (
        _request(
            f"https://{lower}:{PROXY_PORT}/x/twins/y", fleet, headers={"Authorization": "mine"}
        )[0]
        == 200
    )
    seen = fleet.edgehub["lower-layer"].seen
    assert [(r.path, r.headers["authorization"]) for r in seen] == [
        (twin, TOKEN),
        ("/x/twins/y", "mine"),
    ]
    assert fleet.edgehub["top-layer"].seen == []  # this device's edgeHub, not the parent's


def test_iot_hub_paths_are_refused_when_the_token_check_fails(fleet_for: Any) -> None:
    fleet, _, _ = fleet_for("two-layer.yaml", token_status=401)
    top = fleet.address["top-layer"]
    status, _ = _request(f"https://{top}:{PROXY_PORT}/devices/d/messages/events", fleet)
    assert status == 401
    assert fleet.edgehub["top-layer"].seen == []


BLOB_MODULE = "AzureBlobStorageonIoTEdge"
BLOB_PORT = 11002


def _blob_module_on_top(manifests: dict[str, dict[str, Any]]) -> None:
    """The module readme's layout: the blob module and its route on the top layer only."""
    modules = _modules(manifests["top-layer"])
    modules[BLOB_MODULE] = {
        "type": "docker", "status": "running", "restartPolicy": "always",
        "settings": {"image": "mcr.microsoft.com/azure-blob-storage:latest"},
    }  # fmt: skip
    modules["IoTEdgeAPIProxy"]["env"]["BLOB_UPLOAD_ROUTE_ADDRESS"] = {
        "value": f"{BLOB_MODULE}:{BLOB_PORT}"
    }


def test_blob_uploads_from_a_lower_layer_reach_the_top_layers_blob_module(
    fleet_for: Any,
) -> None:
    fleet, _, manifests = fleet_for("two-layer.yaml", _blob_module_on_top)
    assert (
        "BLOB_UPLOAD_ROUTE_ADDRESS"
        not in _modules(manifests["lower-layer"])["IoTEdgeAPIProxy"]["env"]
    )
    blob = HttpStandIn(
        fleet.address["top-layer"], BLOB_PORT, lambda seen: (201, {"ETag": '"1"'}, b"")
    )
    blob.start()
    fleet.stand_ins.append(blob)
    path = "/edge-container/logs/2026-12-03.log?comp=block&blockid=AAAA"
    status, _ = _request(
        f"https://{fleet.address['lower-layer']}:{PROXY_PORT}{path}",
        fleet,
        method="PUT",
        headers={"x-ms-version": "2019-12-12", "x-ms-blob-type": "BlockBlob"},
        body=b"line\n",
    )
    assert status == 201
    # lower proxy -> /parent -> top proxy -> /storage -> the blob module, original URI kept
    assert [(r.method, r.path, r.body_size) for r in blob.seen] == [("PUT", path, 5)]
    assert f'"PUT {path} HTTP/1.1" 201' in fleet.proxy_log("top-layer")


def test_a_large_body_passes_the_registry_routes_but_not_the_parent_route(
    fleet_for: Any,
) -> None:
    fleet, _, _ = fleet_for(
        "two-layer.yaml", _drop_registry_route("lower-layer"), recording_registry="top-layer"
    )
    size = 3 * 1024 * 1024  # over nginx's default 1m
    body = b"\0" * size
    top, lower = fleet.address["top-layer"], fleet.address["lower-layer"]
    # /acr and /v2 on the connected registry's route: up to 1000G, whole, URI unchanged
    for path in ("/acr/v1/artifacts/x", "/v2/big/blobs/uploads/"):
        assert (
            _request(f"https://{top}:{PROXY_PORT}{path}", fleet, method="PUT", body=body)[0] == 200
        )
    assert fleet.recorded is not None
    recorded = [(r.method, r.path, r.body_size) for r in fleet.recorded.seen if r.method == "PUT"]
    assert recorded == [
        ("PUT", "/acr/v1/artifacts/x", size),
        ("PUT", "/v2/big/blobs/uploads/", size),
    ]
    # HTTP/1.1 upstream, the Host nginx sends by default (the upstream's), and the client's
    # host for the registry to build its URLs from
    request = fleet.recorded.seen[-1]
    assert request.http_version == "HTTP/1.1"
    assert request.headers["host"] == f"{top}:{REGISTRY_PORT}"
    assert request.headers["x-forwarded-host"] == f"{top}:{PROXY_PORT}"
    assert request.headers["x-forwarded-proto"] == "https"
    # a layer without a registry route sends /v2 to its parent with the default 1m limit
    status, _ = _request(
        f"https://{lower}:{PROXY_PORT}/v2/big/blobs/uploads/", fleet, method="POST", body=body
    )
    assert status == 413


def test_parent_is_reachable_directly_and_passes_the_original_uri(fleet_for: Any) -> None:
    fleet, _, _ = fleet_for("two-layer.yaml", _drop_registry_route("lower-layer"))
    lower = fleet.address["lower-layer"]
    status, _ = _request(f"https://{lower}:{PROXY_PORT}/parent/v2/", fleet)
    # the parent receives /parent/v2/ as it was sent; the top layer has no /parent route
    assert status == 404
    assert '"GET /parent/v2/ HTTP/1.1" 404' in fleet.proxy_log("top-layer")
    # a registry request rewritten to /parent reaches the parent as /v2/
    assert _request(f"https://{lower}:{PROXY_PORT}/v2/", fleet) == (200, b"{}")
    assert '"GET /v2/ HTTP/1.1" 200' in fleet.proxy_log("top-layer")
