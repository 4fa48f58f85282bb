"""What acr-edge generates lets a real client push and pull through real proxies, layer by
layer: Debian's nginx runs each device's API proxy configuration (as proxyconfig renders it
from the manifest), the CNCF distribution registry (`docker-registry`) stands where each
connected registry would be, and skopeo is the client, all over TLS from a test CA.

Each device gets its own loopback address (127.0.0.N), so every proxy can listen on the
same port, as on real devices. Two things stand in for the IoT Edge runtime: module names
in route addresses resolve to the device's address (Docker's embedded DNS does that on a
device), and a lower layer's registry is a pull-through mirror of its parent's proxy (the
connected registry syncs from its parent the same way, through the parent's API proxy).

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
from acr_edge_cli.proxyconfig import ProxySettings, proxy_settings, render_nginx_config
from tests.conftest import EXAMPLES

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

    def start_proxy(self, device: str, settings: ProxySettings, parent: str | None) -> str:
        """nginx with the configuration this device's API proxy would run."""
        folder = self.root / device / "proxy"
        folder.mkdir(parents=True)
        cert = self.ca.issue_cert(self.address[device], settings.module_name.lower())
        cert.private_key_pem.write_to_path(str(folder / "private_key_server.pem"))
        cert.cert_chain_pems[0].write_to_path(str(folder / "server.crt"))
        shutil.copy(self.ca_file, folder / "trustedCA.crt")
        env = {
            name: self._resolve(value) if name.endswith("_ROUTE_ADDRESS") else value
            for name, value in settings.env.items()
        }
        config = render_nginx_config(
            ProxySettings(settings.module_name, env, settings.template),
            parent_hostname=self.address[parent] if parent else None,
        )
        # All devices share this host: pin each proxy to its device's address.
        config = re.sub(r"listen (\d+) ", rf"listen {self.address[device]}:\1 ", config)
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
        _wait_for_port(self.address[device], PROXY_PORT, process, log)
        return config

    def _resolve(self, address: str) -> str:
        """What Docker's DNS does for a module name: the module's device address."""
        name, _, port = address.rpartition(":")
        for device, modules in self.modules.items():
            if name in modules:
                return f"{self.address[device]}:{port}"
        return address  # unknown: nginx will not find it either

    modules: dict[str, set[str]] = field(default_factory=dict)

    def stop(self) -> None:
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
        example: str, edit: Any = None
    ) -> tuple[Fleet, dict[str, Any], dict[str, dict[str, Any]]]:
        index, manifests = _generated(example, tmp_path)
        if edit is not None:
            edit(manifests)
        fleet = Fleet(tmp_path / "fleet", trustme.CA())
        fleets.append(fleet)
        (fleet.root / "certs").mkdir(parents=True)
        fleet.ca.cert_pem.write_to_path(str(fleet.ca_file))
        (fleet.root / "certs" / "auth.json").write_text("{}")
        parents = {d["id"]: d["parent"] for d in index["devices"]}
        for number, device in enumerate(parents):
            fleet.address[device] = f"127.0.0.{20 + number}"
            fleet.modules[device] = set(_modules(manifests[device]))
        for device, parent in parents.items():  # parents first, as index.json lists them
            if any(
                "ACR_REGISTRY_CONNECTION_STRING" in m.get("env", {})
                for m in _modules(manifests[device]).values()
            ):
                fleet.start_registry(device, parent)
            settings = proxy_settings(manifests[device])
            if settings is not None:
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


def test_a_wrong_route_address_breaks_the_pulls(fleet_for: Any, tmp_path: Path) -> None:
    def wrong_route(manifests: dict[str, dict[str, Any]]) -> None:
        env = _modules(manifests["top-layer"])["IoTEdgeAPIProxy"]["env"]
        env["CONNECTED_ACR_ROUTE_ADDRESS"]["value"] = "connectedRegistry:8080"  # the old sample's

    fleet, _, _ = fleet_for("two-layer.yaml", wrong_route)
    status, _ = _get(f"https://{fleet.address['top-layer']}:{PROXY_PORT}/v2/", fleet)
    assert status == 502
    layout = tmp_path / "image"
    build_image(layout, b"x")
    pushed = skopeo(
        "copy", "--dest-cert-dir", str(fleet.ca_file.parent), f"oci:{layout}:latest",
        f"docker://{fleet.address['top-layer']}:{PROXY_PORT}/azureiotedge-hub:1.5",
        certs=fleet.ca_file.parent,
    )  # fmt: skip
    assert pushed.returncode != 0
