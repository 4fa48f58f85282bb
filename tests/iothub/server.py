"""A local IoT Hub for tests: HTTPS on 127.0.0.1 speaking the service REST protocol exactly
as the azure-iot-hub 2.7.0 SDK sends it (shared/research/schemas-and-iothub-api.md, B1-B9).

What it holds to: SAS tokens verified like the service (HMAC over the URL-encoded resource
and the expiry, key name, expiry, host), api-version 2021-04-12 only, percent-encoded path
segments, 204 for applyConfigurationContent, 200 for device PUT, configuration CRUD with
ETags (an unquoted etag on configuration PUT behaves like the real hub's bug: as no
If-Match at all, so 409), the 100-configuration cap (413), twin limits, the classic error
envelope with `iothub-errorcode`, and standard reason phrases (they become the SDK's
exception text).

Faults are injected before a request has any effect (so a retried request is never
applied twice): 429 with and without Retry-After, 503, dropped connections, and slow
responses, at a seeded rate.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import http.server
import json
import random
import re
import ssl
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_VERSION = "2021-04-12"
STRING_LIMIT = 4096
DESIRED_LIMIT = 32 * 1024


class HubError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass
class Faults:
    """Which requests fail, and how; decided by a seeded random generator."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "429-retry-after", "503", "drop")
    latency: float = 0.0  # seconds added to every request
    seed: int = 1
    paths: str = ""  # a regex: only matching paths get faults ("" = all)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick(self, path: str) -> str | None:
        if self.paths and not re.search(self.paths, path):
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(self.kinds)


def _etag(counter: int) -> str:
    return base64.b64encode(str(counter).encode()).decode()


def _twin_etag(counter: int) -> str:
    return base64.b64encode(counter.to_bytes(8, "big")).decode()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())


@dataclass
class Hub:
    """The hub's state; every field is guarded by `lock`."""

    host: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # key name -> base64 key
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    twins: dict[str, dict[str, Any]] = field(default_factory=dict)
    module_twins: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    configurations: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_configurations: int = 100
    unquoted_etag_bug: bool = True
    faults: Faults = field(default_factory=Faults)
    applied: Counter[str] = field(default_factory=Counter)  # successful applies per device
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)  # when each one arrived
    lock: threading.RLock = field(default_factory=threading.RLock)
    _counter: int = 0

    def next_counter(self) -> int:
        self._counter += 1
        return self._counter

    # --- set-up helpers for tests -----------------------------------------------------------

    def add_device(
        self, device_id: str, *, edge: bool = True, parent: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            scope = f"ms-azure-iot-edge://{device_id}-{self.next_counter()}" if edge else None
            parent_scopes = [self.devices[parent]["deviceScope"]] if parent else []
            device = {
                "deviceId": device_id,
                "generationId": str(self.next_counter()),
                "etag": _etag(1),
                "connectionState": "Disconnected",
                "status": "enabled",
                "statusReason": None,
                "connectionStateUpdatedTime": "0001-01-01T00:00:00Z",
                "statusUpdatedTime": "0001-01-01T00:00:00Z",
                "lastActivityTime": "0001-01-01T00:00:00Z",
                "cloudToDeviceMessageCount": 0,
                "authentication": {
                    "symmetricKey": {"primaryKey": _etag(9), "secondaryKey": _etag(8)},
                    "x509Thumbprint": {"primaryThumbprint": None, "secondaryThumbprint": None},
                    "type": "sas",
                },
                "capabilities": {"iotEdge": edge},
                "deviceScope": scope,
                "parentScopes": parent_scopes,
            }
            self.devices[device_id] = device
            self.twins[device_id] = {
                "deviceId": device_id,
                "etag": _twin_etag(1),
                "version": 1,
                "tags": {},
                "properties": {"desired": {"$version": 1}, "reported": {"$version": 1}},
                "capabilities": {"iotEdge": edge},
            }
            if edge:
                for module in ("$edgeAgent", "$edgeHub"):
                    self.module_twins[(device_id, module)] = self._new_module_twin(
                        device_id, module
                    )
            return device

    def _new_module_twin(self, device_id: str, module: str) -> dict[str, Any]:
        return {
            "deviceId": device_id,
            "moduleId": module,
            "etag": _twin_etag(1),
            "version": 1,
            "properties": {"desired": {"$version": 1}, "reported": {"$version": 1}},
        }

    def report_as_runtime(
        self,
        device_id: str,
        *,
        applied: bool = True,
        code: int = 200,
        description: str = "",
        modules: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Write `$edgeAgent`'s reported properties as the edge runtime does after it read
        its desired properties (the module twin docs' shapes): the version it applied (the
        desired one, or the one before when `applied` is False), its status, and each
        module's state; every module in the desired properties runs unless `modules` says
        otherwise."""
        with self.lock:
            twin = self.module_twins[(device_id, "$edgeAgent")]
            desired = twin["properties"]["desired"]
            version = desired["$version"] if applied else desired["$version"] - 1
            started = "2026-12-02T10:00:00Z"
            running = {"runtimeStatus": "running", "lastStartTimeUtc": started}
            reported: dict[str, Any] = {
                "schemaVersion": "1.1",
                "lastDesiredVersion": version,
                "lastDesiredStatus": {"code": code, "description": description},
                "runtime": {"platform": {"os": "linux", "architecture": "x86_64"}},
                "systemModules": {
                    name: {**running, **(modules or {}).get(name, {})}
                    for name in desired.get("systemModules", {})
                },
                "modules": {
                    name: {**running, "exitCode": 0, "restartCount": 0,
                           **(modules or {}).get(name, {})}
                    for name in desired.get("modules", {})
                },
                "$version": twin["properties"]["reported"].get("$version", 1) + 1,
            }  # fmt: skip
            twin["properties"]["reported"] = reported

    def set_system_metrics(self, config_id: str, **counts: int) -> None:
        """What IoT Hub computes for an automatic deployment (targetedCount, appliedCount,
        reportedSuccessfulCount, reportedFailedCount)."""
        with self.lock:
            self.configurations[config_id]["systemMetrics"]["results"] = dict(counts)

    def desired(self, device_id: str, module: str) -> dict[str, Any] | None:
        twin = self.module_twins.get((device_id, module))
        if twin is None:
            return None
        return {k: v for k, v in twin["properties"]["desired"].items() if not k.startswith("$")}


def _check_values(value: Any, path: str = "") -> None:
    """IoT Hub's limits on what a twin may hold."""
    if isinstance(value, str) and len(value.encode()) > STRING_LIMIT:
        raise HubError(
            400,
            "ArgumentInvalid",
            f"Property or Tag value should be maximum {STRING_LIMIT} bytes. Error in Property/Tag {path}",
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _check_values(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            _check_values(item, path)


class Handler(http.server.BaseHTTPRequestHandler):
    server: HubServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every response, which no real hub does.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read hub.requests instead

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # --- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _json(raw: bytes) -> Any:
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise HubError(400, "IotHubFormatError", "Malformed request body") from None

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, error: HubError) -> None:
        stamp = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime())
        envelope = {
            "Message": f"ErrorCode:{error.code};{error.message}",
            "ExceptionMessage": f"Tracking ID:{uuid.uuid4().hex}-G:0-TimeStamp:{stamp}",
        }
        self._send(error.status, envelope, {"iothub-errorcode": error.code, **error.headers})

    def _authorize(self) -> None:
        hub = self.server.hub
        header = self.headers.get("Authorization", "")
        unauthorized = HubError(401, "IotHubUnauthorizedAccess", "Unauthorized")
        if not header.startswith("SharedAccessSignature "):
            raise unauthorized
        fields = dict(
            part.split("=", 1)
            for part in header[len("SharedAccessSignature ") :].split("&")
            if "=" in part
        )
        key = hub.keys.get(fields.get("skn", ""))
        if key is None or not {"sr", "sig", "se"} <= fields.keys():
            raise unauthorized
        message = f"{fields['sr']}\n{fields['se']}".encode()
        expected = base64.b64encode(
            hmac.new(base64.b64decode(key), message, hashlib.sha256).digest()
        )
        if not hmac.compare_digest(expected.decode(), urllib.parse.unquote(fields["sig"])):
            raise unauthorized
        if int(fields["se"]) < time.time():
            raise unauthorized
        resource = urllib.parse.unquote_plus(fields["sr"]).lower()
        if not self.headers.get("Host", "").lower().startswith(resource):
            raise unauthorized

    def _handle(self, method: str) -> None:
        hub = self.server.hub
        parsed = urllib.parse.urlsplit(self.path)
        segments = [urllib.parse.unquote(s) for s in parsed.path.strip("/").split("/")]
        body: Any = None
        status = 500
        arrived = time.monotonic()
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                with hub.lock:
                    hub.requests.append((method, parsed.path, status))
                    hub.request_times.append(arrived)

        try:
            if hub.faults.latency:
                time.sleep(hub.faults.latency)
            # read the whole request first: an answer that leaves a body unread would
            # corrupt the next request on this kept-alive connection
            raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = hub.faults.pick(parsed.path)
            if fault == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                status = 0
                return
            if fault == "429":
                raise HubError(429, "ThrottlingException", "Throttled")
            if fault == "429-retry-after":
                raise HubError(429, "ThrottlingException", "Throttled", {"Retry-After": "1"})
            if fault == "429-retry-after-a-day":
                raise HubError(429, "ThrottlingException", "Throttled", {"Retry-After": "86400"})
            if fault == "503":
                raise HubError(503, "ServiceUnavailable", "Service unavailable")
            query = urllib.parse.parse_qs(parsed.query)
            if query.get("api-version") != [API_VERSION]:
                raise HubError(400, "InvalidProtocolVersion", "Invalid api-version")
            self._authorize()
            body = self._json(raw_body)
            with hub.lock:
                status, payload, headers = route(hub, method, segments, query, body, self.headers)
            record()  # before the answer: a client that has it must find the call recorded
            self._send(status, payload, headers)
        except HubError as error:
            status = error.status
            record()
            self._error(error)
        except (ConnectionError, OSError):
            status = 0
        finally:
            record()


def _if_match(headers: Any) -> tuple[bool, str | None]:
    """(present, etag without quotes or None for a star)."""
    value = headers.get("If-Match")
    if value is None:
        return False, None
    value = value.strip()
    if value in ("*", '"*"'):
        return True, None
    return True, value.strip('"')


def route(
    hub: Hub, method: str, segments: list[str], query: dict[str, list[str]], body: Any, headers: Any
) -> tuple[int, Any, dict[str, str]]:
    match (method, segments):
        case ("GET", ["devices"]):
            top = int(query.get("top", ["1000"])[0])
            return 200, list(hub.devices.values())[:top], {}
        case ("GET", ["devices", device_id]):
            return 200, _device(hub, device_id), {}
        case ("PUT", ["devices", device_id]):
            return _put_device(hub, device_id, body, headers)
        case ("POST", ["devices", device_id, "applyConfigurationContent"]):
            _apply(hub, device_id, body)
            return 204, None, {}
        case ("GET", ["twins", device_id]):
            _device(hub, device_id)
            return 200, hub.twins[device_id], {"ETag": f'"{hub.twins[device_id]["etag"]}"'}
        case ("PATCH", ["twins", device_id]):
            return 200, _patch_twin(hub, device_id, body or {}), {}
        case ("GET", ["twins", device_id, "modules", module_id]):
            _device(hub, device_id)
            twin = hub.module_twins.get((device_id, module_id))
            if twin is None:
                raise HubError(
                    404, "ModuleNotFound", f"Module {module_id} on device {device_id} not found"
                )
            return 200, twin, {"ETag": f'"{twin["etag"]}"'}
        case ("GET", ["configurations"]):
            top = int(query.get("top", ["100"])[0])
            return 200, list(hub.configurations.values())[:top], {}
        case ("POST", ["configurations", "testQueries"]):
            condition = (body or {}).get("targetCondition", "")
            error = (
                "Double quotes are not allowed in a target condition" if '"' in condition else ""
            )
            return 200, {"targetConditionError": error, "customMetricQueryErrors": {}}, {}
        case ("GET", ["configurations", config_id]):
            return 200, _configuration(hub, config_id), {}
        case ("PUT", ["configurations", config_id]):
            return _put_configuration(hub, config_id, body or {}, headers)
        case ("DELETE", ["configurations", config_id]):
            config = _configuration(hub, config_id)
            present, etag = _if_match(headers)
            if present and etag is not None and etag != config["etag"]:
                raise HubError(412, "PreconditionFailed", "Precondition failed")
            del hub.configurations[config_id]
            return 204, None, {}
    raise HubError(404, "NotFound", f"{method} /{'/'.join(segments)} is not an operation")


def _device(hub: Hub, device_id: str) -> dict[str, Any]:
    device = hub.devices.get(device_id)
    if device is None:
        raise HubError(404, "DeviceNotFound", f"Device {device_id} not registered")
    return device


def _put_device(
    hub: Hub, device_id: str, body: Any, headers: Any
) -> tuple[int, Any, dict[str, str]]:
    present, etag = _if_match(headers)
    body = body or {}
    current = hub.devices.get(device_id)
    if current is not None and not present:
        raise HubError(
            409, "DeviceAlreadyExists", f"A device with ID '{device_id}' is already registered."
        )
    if current is None and present and etag is not None:
        raise HubError(404, "DeviceNotFound", f"Device {device_id} not registered")
    if current is not None:  # an update: If-Match must name the identity's ETag (or *)
        if etag is not None and etag != current["etag"]:
            raise HubError(412, "PreconditionFailed", "Precondition failed: ETag mismatch")
        if body.get("deviceScope") not in (None, current["deviceScope"]):
            raise HubError(400, "ArgumentInvalid", "The device scope of an edge device is fixed")
        current["parentScopes"] = list(body.get("parentScopes") or [])
        current["capabilities"]["iotEdge"] = bool(body.get("capabilities", {}).get("iotEdge"))
        current["status"] = body.get("status") or current["status"]
        current["etag"] = _etag(int(base64.b64decode(current["etag"]).decode()) + 1)
        return 200, current, {}
    device = hub.add_device(device_id, edge=bool(body.get("capabilities", {}).get("iotEdge")))
    if body.get("parentScopes"):
        device["parentScopes"] = list(body["parentScopes"])
    return 200, device, {}


def _apply(hub: Hub, device_id: str, body: Any) -> None:
    device = _device(hub, device_id)
    if not isinstance(body, dict) or set(body) - {"modulesContent"} - {
        k for k, v in body.items() if v is None
    }:
        raise HubError(
            400, "InvalidConfigurationContent", "The content provided for configuration is invalid."
        )
    content = body.get("modulesContent")
    if not device["capabilities"]["iotEdge"] or not isinstance(content, dict):
        raise HubError(
            400, "InvalidConfigurationContent", "The content provided for configuration is invalid."
        )
    for module, twin in content.items():
        desired = twin.get("properties.desired") if isinstance(twin, dict) else None
        if not isinstance(desired, dict):
            raise HubError(400, "InvalidConfigurationContent", f"Invalid content for {module}")
        _check_values(desired)
        if len(json.dumps(desired).encode()) > DESIRED_LIMIT:
            raise HubError(
                403,
                "DeviceModelMaxPropertiesExceeded",
                f"'Properties.Desired' size should be less than {DESIRED_LIMIT} bytes.",
            )
    for module, twin in content.items():
        existing = hub.module_twins.get((device_id, module)) or hub._new_module_twin(
            device_id, module
        )
        version = existing["properties"]["desired"].get("$version", 1) + 1
        existing["properties"]["desired"] = {
            **copy.deepcopy(twin["properties.desired"]),
            "$version": version,
        }
        existing["version"] += 1
        existing["etag"] = _twin_etag(existing["version"])
        hub.module_twins[(device_id, module)] = existing
    hub.applied[device_id] += 1


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _patch_twin(hub: Hub, device_id: str, body: dict[str, Any]) -> dict[str, Any]:
    _device(hub, device_id)
    twin = hub.twins[device_id]
    _check_values(body)
    if "tags" in body:
        _merge(twin["tags"], body["tags"] or {})
    desired = body.get("properties", {}).get("desired")
    if desired:
        _merge(twin["properties"]["desired"], desired)
        twin["properties"]["desired"]["$version"] += 1
    twin["version"] += 1
    twin["etag"] = _twin_etag(twin["version"])
    return twin


def _configuration(hub: Hub, config_id: str) -> dict[str, Any]:
    config = hub.configurations.get(config_id)
    if config is None:
        raise HubError(404, "ConfigurationNotFound", f"Configuration {config_id} not found")
    return config


def _put_configuration(
    hub: Hub, config_id: str, body: dict[str, Any], headers: Any
) -> tuple[int, Any, dict[str, str]]:
    present, etag = _if_match(headers)
    raw = (headers.get("If-Match") or "").strip()
    if present and hub.unquoted_etag_bug and etag is not None and not raw.startswith('"'):
        present = False  # the real hub does not recognise an unquoted etag
    if config_id != config_id.lower() or re.search(r'[\s&^\[\]{}\\|"<>/]', config_id):
        raise HubError(400, "ArgumentInvalid", f"Invalid configuration id {config_id}")
    existing = hub.configurations.get(config_id)
    if existing is not None and not present:
        raise HubError(
            409,
            "ConfigurationAlreadyExists",
            f"Configuration with id '{config_id}' already exist on IotHub.",
        )
    if existing is None:
        if len(hub.configurations) >= hub.max_configurations:
            raise HubError(
                413,
                "ConfigurationCountLimitExceeded",
                f"Number of deployments exceed the maximum quota {hub.max_configurations} for this IotHub.",
            )
        stored = {
            "id": config_id,
            "schemaVersion": body.get("schemaVersion", "1.0"),
            "labels": body.get("labels") or {},
            "content": body.get("content") or {},
            "contentType": None,
            "targetCondition": body.get("targetCondition", ""),
            "createdTimeUtc": _now(),
            "lastUpdatedTimeUtc": _now(),
            "priority": body.get("priority", 0),
            "systemMetrics": {"results": {}, "queries": {}},
            "metrics": {"results": {}, "queries": (body.get("metrics") or {}).get("queries") or {}},
            "etag": _etag(1),
        }
        hub.configurations[config_id] = stored
        return 200, stored, {"ETag": f'"{stored["etag"]}"'}
    if etag is not None and etag != existing["etag"]:
        raise HubError(412, "PreconditionFailed", "Precondition failed")
    if body.get("content") not in (None, existing["content"]):
        raise HubError(
            400, "ArgumentInvalid", "Configuration identifier and Content cannot be updated"
        )
    for key in ("labels", "targetCondition", "priority"):
        if key in body:
            existing[key] = body[key]
    if "metrics" in body:
        existing["metrics"]["queries"] = (body["metrics"] or {}).get("queries") or {}
    existing["etag"] = _etag(int(base64.b64decode(existing["etag"])) + 1)
    existing["lastUpdatedTimeUtc"] = _now()
    return 200, existing, {"ETag": f'"{existing["etag"]}"'}


class HubServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hub: Hub, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hub = hub
        self.socket = context.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are part of the tests


@dataclass
class RunningHub:
    hub: Hub
    connection_string: str
    ca_file: Path


@contextlib.contextmanager
def running_hub(folder: Path, faults: Faults | None = None) -> Iterator[RunningHub]:
    """A local IoT Hub on https://localhost:<port>, trusted through the returned CA file."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = folder / "hub-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    key = base64.b64encode(hashlib.sha256(b"acr-edge test hub").digest()).decode()
    hub = Hub(keys={"iothubowner": key}, faults=faults or Faults())
    server = HubServer(hub, context)
    port = server.server_address[1]
    hub.host = f"localhost:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningHub(
            hub,
            f"HostName=localhost:{port};SharedAccessKeyName=iothubowner;SharedAccessKey={key}",
            ca_file,
        )
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Answer:
    """What an impostor answers to every request."""

    status: int = 404
    body: bytes = b"<html><body>Not Found</body></html>"
    content_type: str = "text/html"
    chunked: bool = False  # no Content-Length: the body's end is the chunk stream's


class _ImpostorHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer: Answer = self.server.answer
        self.server.requests += 1
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        if answer.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(answer.body), 4096):
                piece = answer.body[start : start + 4096]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def running_impostor(folder: Path, answer: Answer) -> Iterator[tuple[str, Path, Any]]:
    """A TLS server that is no IoT Hub: (connection string to it, its CA file, the server,
    whose `requests` counts what reached it)."""
    import trustme

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    ca_file = folder / "impostor-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ImpostorHandler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.answer = answer  # type: ignore[attr-defined]
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    key = base64.b64encode(b"k" * 32).decode()
    port = server.server_address[1]
    try:
        yield (
            f"HostName=localhost:{port};SharedAccessKeyName=iothubowner;SharedAccessKey={key}",
            ca_file,
            server,
        )
    finally:
        server.shutdown()
        server.server_close()
