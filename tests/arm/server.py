"""A local Azure Resource Manager for Microsoft.ContainerRegistry: HTTPS on 127.0.0.1 with a
test CA, speaking the REST protocol as azure-mgmt-containerregistry 15.0.0 sends it.

What it holds to: a bearer token on every request (401 with ARM's envelope and a
WWW-Authenticate challenge otherwise); the api-version the SDK sends (2025-11-01), any other
is a 400; ARM's error envelope `{"error": {"code", "message"}}`; long-running operations as
ARM runs them — PUT answers 201 and PATCH 200 with `provisioningState` Creating/Updating
and an `Azure-AsyncOperation` URL that reports InProgress, then Succeeded; POST
generateCredentials answers 202 with a `Location` to poll, then 200 with the result — each
with a Retry-After; references checked (a scope map, token or parent that does not exist
is a 400); a connected registry's mode cannot change (400); seeded 429 (with Retry-After)
and 500 faults before a request has any effect.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import random
import re
import secrets
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_VERSION = "2025-11-01"
PROVIDER = "Microsoft.ContainerRegistry"
LOCATION = "eastus"


class ArmFailure(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass
class ArmFaults:
    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500")
    seed: int = 7
    #: faults for the next requests, in order, before any random one
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick(self) -> str | None:
        with self._lock:
            if self.script:
                return self.script.pop(0)
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(self.kinds)


@dataclass
class Registry:
    """One container registry and what it holds; guarded by Arm.lock."""

    id: str
    name: str
    sku: str = "Premium"
    data_endpoint_enabled: bool = False
    scope_maps: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    connected_registries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: token name -> its current password1 (tests check what acr-edge wrote)
    passwords: dict[str, str] = field(default_factory=dict)


@dataclass
class Arm:
    token: str
    subscription: str
    resource_group: str
    registries: dict[str, Registry] = field(default_factory=dict)
    faults: ArmFaults = field(default_factory=ArmFaults)
    #: whole seconds, as ARM sends them ("0": poll at the client's own interval)
    retry_after: str = "1"
    #: long-running operations never finish (ARM stuck in InProgress)
    stuck: bool = False
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    host: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_registry(self, name: str, *, sku: str = "Premium") -> Registry:
        registry_id = (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{PROVIDER}/registries/{name}"
        )
        registry = Registry(registry_id, name, sku)
        self.registries[name.lower()] = registry
        return registry

    @property
    def writes(self) -> list[tuple[str, str, int]]:
        return [r for r in self.requests if r[0] in ("PUT", "PATCH", "POST", "DELETE")]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())


class Handler(http.server.BaseHTTPRequestHandler):
    server: ArmServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        arm = self.server.arm
        parsed = urllib.parse.urlsplit(self.path)
        status = 500
        try:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Authorization") != f"Bearer {arm.token}":
                raise ArmFailure(
                    401,
                    "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing or invalid.",
                    {"WWW-Authenticate": 'Bearer authorization_uri="https://login.invalid"'},
                )
            query = urllib.parse.parse_qs(parsed.query)
            if query.get("api-version") != [API_VERSION]:
                raise ArmFailure(
                    400,
                    "InvalidApiVersionParameter",
                    f"The api-version '{query.get('api-version')}' is invalid.",
                )
            fault = arm.faults.pick()
            if fault == "429":
                raise ArmFailure(
                    429, "TooManyRequests", "Too many requests", {"Retry-After": arm.retry_after}
                )
            if fault == "500":
                raise ArmFailure(500, "InternalServerError", "An internal error occurred.")
            body = json.loads(raw) if raw else None
            with arm.lock:
                status, payload, headers = _route(arm, method, parsed.path, body)
                arm.requests.append((method, parsed.path, status))
            self._send(status, payload, headers)
        except ArmFailure as failure:
            status = failure.status
            with arm.lock:
                arm.requests.append((method, parsed.path, status))
            self._send(
                status,
                {"error": {"code": failure.code, "message": failure.message}},
                failure.headers,
            )
        except (ConnectionError, OSError):
            pass


def _base(arm: Arm) -> str:
    return f"https://{arm.host}"


def _operation(arm: Arm, result: Any = None, *, location: bool = False) -> dict[str, str]:
    """A long-running operation to poll: two polls, InProgress then done."""
    operation_id = uuid.uuid4().hex
    url = (
        f"{_base(arm)}/subscriptions/{arm.subscription}/providers/{PROVIDER}/locations/"
        f"{LOCATION}/operation{'Results' if location else 'Statuses'}/{operation_id}"
        f"?api-version={API_VERSION}"
    )
    arm.operations[operation_id] = {"polls": 0, "result": result, "url": url}
    header = "Location" if location else "Azure-AsyncOperation"
    return {header: url, "Retry-After": arm.retry_after}


_REGISTRY = re.compile(
    rf"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/{PROVIDER}/registries/([^/]+)"
    r"(?:/(scopeMaps|tokens|connectedRegistries|generateCredentials)(?:/([^/]+))?)?$",
    re.IGNORECASE,
)
_OPERATION = re.compile(
    rf"^/subscriptions/[^/]+/providers/{PROVIDER}/locations/[^/]+/"
    r"operation(Statuses|Results)/([0-9a-f]+)$",
    re.IGNORECASE,
)


def _route(arm: Arm, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
    operation = _OPERATION.match(path)
    if operation and method == "GET":
        return _poll(arm, operation.group(1).lower() == "results", operation.group(2))
    match = _REGISTRY.match(path)
    if not match:
        raise ArmFailure(404, "InvalidResourceType", f"No route for {method} {path}")
    subscription, group, name, kind, child = match.groups()
    registry = arm.registries.get(name.lower())
    if (
        subscription != arm.subscription
        or group.lower() != arm.resource_group.lower()
        or registry is None
    ):
        raise ArmFailure(
            404,
            "ResourceNotFound",
            f"The Resource '{PROVIDER}/registries/{name}' under resource group '{group}' was "
            "not found.",
        )
    if kind is None:
        return _registry(arm, registry, method, body)
    kind = kind[0].lower() + kind[1:]
    if kind == "generateCredentials" and method == "POST":
        return _generate(arm, registry, body or {})
    if child is None:
        raise ArmFailure(405, "MethodNotAllowed", f"{method} is not allowed here")
    if kind == "scopeMaps":
        return _scope_map(arm, registry, method, child, body)
    if kind == "tokens":
        return _token(arm, registry, method, child, body)
    return _connected_registry(arm, registry, method, child, body)


def _poll(arm: Arm, results: bool, operation_id: str) -> tuple[int, Any, dict[str, str]]:
    state = arm.operations.get(operation_id)
    if state is None:
        raise ArmFailure(404, "OperationNotFound", "The operation was not found.")
    state["polls"] += 1
    done = state["polls"] >= 2 and not arm.stuck
    if results:  # Location polling: 202 while running, then the result
        if not done:
            return 202, None, {"Location": state["url"], "Retry-After": arm.retry_after}
        return 200, state["result"], {}
    status = "Succeeded" if done else "InProgress"
    headers = {} if done else {"Retry-After": arm.retry_after}
    return 200, {"id": operation_id, "status": status}, headers


def _registry(
    arm: Arm, registry: Registry, method: str, body: Any
) -> tuple[int, Any, dict[str, str]]:
    if method == "PATCH":
        properties = (body or {}).get("properties") or {}
        if "dataEndpointEnabled" in properties:
            if registry.sku != "Premium":
                raise ArmFailure(
                    400,
                    "DataEndpointNotSupported",
                    "Dedicated data endpoints are only supported on Premium registries.",
                )
            registry.data_endpoint_enabled = bool(properties["dataEndpointEnabled"])
        return 200, _registry_body(registry, "Updating"), _operation(arm)
    if method != "GET":
        raise ArmFailure(405, "MethodNotAllowed", f"{method} is not allowed here")
    return 200, _registry_body(registry, "Succeeded"), {}


def _registry_body(registry: Registry, state: str) -> dict[str, Any]:
    login = f"{registry.name.lower()}.azurecr.io"
    return {
        "id": registry.id,
        "name": registry.name,
        "type": f"{PROVIDER}/registries",
        "location": LOCATION,
        "sku": {"name": registry.sku, "tier": registry.sku},
        "properties": {
            "loginServer": login,
            "provisioningState": state,
            "dataEndpointEnabled": registry.data_endpoint_enabled,
            "dataEndpointHostNames": (
                [f"{registry.name.lower()}.{LOCATION}.data.azurecr.io"]
                if registry.data_endpoint_enabled
                else []
            ),
        },
    }


def _in_progress(resource: dict[str, Any], state: str) -> dict[str, Any]:
    """What a PUT or PATCH answers at once: the resource as it will be, still `state`."""
    answer: dict[str, Any] = json.loads(json.dumps(resource))
    answer["properties"]["provisioningState"] = state
    return answer


def _existing(current: dict[str, Any] | None, kind: str, name: str) -> dict[str, Any]:
    """The resource a GET or PATCH names, or ARM's 404."""
    if current is None:
        raise ArmFailure(404, "ResourceNotFound", f"The {kind} '{name}' was not found.")
    return current


def _scope_map(
    arm: Arm, registry: Registry, method: str, name: str, body: Any
) -> tuple[int, Any, dict[str, str]]:
    current = registry.scope_maps.get(name)
    if method == "GET":
        return 200, _existing(current, "scope map", name), {}
    properties = (body or {}).get("properties") or {}
    actions = properties.get("actions")
    if method == "PUT":
        if not isinstance(actions, list) or not actions:
            raise ArmFailure(400, "InvalidScopeMapActions", "A scope map needs actions.")
        created = current is None
        current = {
            "id": f"{registry.id}/scopeMaps/{name}",
            "name": name,
            "type": f"{PROVIDER}/registries/scopeMaps",
            "properties": {
                "description": properties.get("description"),
                "type": "UserDefined",
                "creationDate": (current or {}).get("properties", {}).get("creationDate") or _now(),
                "provisioningState": "Succeeded",
                "actions": list(actions),
            },
        }
        registry.scope_maps[name] = current
        return (
            (201 if created else 200),
            _in_progress(current, "Creating" if created else "Updating"),
            _operation(arm),
        )
    if method == "PATCH":
        current = _existing(current, "scope map", name)
        if actions is not None:
            current["properties"]["actions"] = list(actions)
        if properties.get("description") is not None:
            current["properties"]["description"] = properties["description"]
        return 200, _in_progress(current, "Updating"), _operation(arm)
    raise ArmFailure(405, "MethodNotAllowed", f"{method} is not allowed here")


def _token(
    arm: Arm, registry: Registry, method: str, name: str, body: Any
) -> tuple[int, Any, dict[str, str]]:
    current = registry.tokens.get(name)
    if method == "GET":
        return 200, _existing(current, "token", name), {}
    if method != "PUT":
        raise ArmFailure(405, "MethodNotAllowed", f"{method} is not allowed here")
    properties = (body or {}).get("properties") or {}
    scope_map_id = str(properties.get("scopeMapId") or "")
    if scope_map_id.rsplit("/", 1)[
        -1
    ] not in registry.scope_maps or not scope_map_id.lower().startswith(
        registry.id.lower() + "/scopemaps/"
    ):
        raise ArmFailure(400, "ScopeMapNotFound", f"The scope map '{scope_map_id}' does not exist.")
    created = current is None
    current = {
        "id": f"{registry.id}/tokens/{name}",
        "name": name,
        "type": f"{PROVIDER}/registries/tokens",
        "properties": {
            "creationDate": _now(),
            "provisioningState": "Succeeded",
            "scopeMapId": scope_map_id,
            "status": properties.get("status", "enabled"),
            "credentials": {"passwords": []},
        },
    }
    registry.tokens[name] = current
    state = "Creating" if created else "Updating"
    return (201 if created else 200), _in_progress(current, state), _operation(arm)


def _generate(
    arm: Arm, registry: Registry, body: dict[str, Any]
) -> tuple[int, Any, dict[str, str]]:
    token_id = str(body.get("tokenId") or "")
    name = token_id.rsplit("/", 1)[-1]
    if name not in registry.tokens or not token_id.lower().startswith(registry.id.lower()):
        raise ArmFailure(400, "TokenNotFound", f"The token '{token_id}' does not exist.")
    which = body.get("name") or "password1"
    value = secrets.token_urlsafe(32)
    if which == "password1":
        registry.passwords[name] = value
    result = {"username": name, "passwords": [{"name": which, "value": value}]}
    return 202, None, _operation(arm, result, location=True)


def _connected_registry(
    arm: Arm, registry: Registry, method: str, name: str, body: Any
) -> tuple[int, Any, dict[str, str]]:
    current = registry.connected_registries.get(name)
    if method == "GET":
        return 200, _existing(current, "connected registry", name), {}
    properties = (body or {}).get("properties") or {}
    if method == "PUT":
        mode = properties.get("mode")
        if mode not in ("ReadWrite", "ReadOnly", "Registry", "Mirror"):
            raise ArmFailure(400, "InvalidMode", f"The mode '{mode}' is not valid.")
        if current is not None and current["properties"]["mode"] != mode:
            raise ArmFailure(
                400, "ModeCannotBeChanged", "The mode of a connected registry cannot be changed."
            )
        parent = properties.get("parent") or {}
        sync = parent.get("syncProperties") or {}
        _check_token(registry, sync.get("tokenId"), "sync token")
        parent_id = parent.get("id")
        if parent_id:
            parent_name = str(parent_id).rsplit("/", 1)[-1]
            if parent_name not in registry.connected_registries:
                raise ArmFailure(
                    400,
                    "ParentNotFound",
                    f"The parent connected registry '{parent_id}' does not exist.",
                )
        for token_id in properties.get("clientTokenIds") or []:
            _check_token(registry, token_id, "client token")
        created = current is None
        current = {
            "id": f"{registry.id}/connectedRegistries/{name}",
            "name": name,
            "type": f"{PROVIDER}/registries/connectedRegistries",
            "properties": {
                "provisioningState": "Succeeded",
                "mode": mode,
                "connectionState": "Offline",
                "activation": {"status": "Inactive"},
                "parent": {
                    "id": parent_id,
                    "syncProperties": {
                        "tokenId": sync.get("tokenId"),
                        "schedule": sync.get("schedule") or "* * * * *",
                        "syncWindow": sync.get("syncWindow"),
                        "messageTtl": sync.get("messageTtl") or "P2D",
                    },
                },
                "clientTokenIds": list(properties.get("clientTokenIds") or []),
                "logging": {
                    "logLevel": (properties.get("logging") or {}).get("logLevel") or "Information",
                    "auditLogStatus": (properties.get("logging") or {}).get("auditLogStatus")
                    or "Disabled",
                },
                "notificationsList": properties.get("notificationsList"),
                "statusDetails": [],
            },
        }
        registry.connected_registries[name] = current
        return (
            (201 if created else 200),
            _in_progress(current, "Creating" if created else "Updating"),
            _operation(arm),
        )
    if method == "PATCH":
        current = _existing(current, "connected registry", name)
        target = current["properties"]
        sync = properties.get("syncProperties") or {}
        for key in ("schedule", "syncWindow", "messageTtl"):
            if key in sync:
                target["parent"]["syncProperties"][key] = sync[key]
        if properties.get("clientTokenIds") is not None:
            for token_id in properties["clientTokenIds"]:
                _check_token(registry, token_id, "client token")
            target["clientTokenIds"] = list(properties["clientTokenIds"])
        if properties.get("notificationsList") is not None:
            target["notificationsList"] = list(properties["notificationsList"])
        if (properties.get("logging") or {}).get("logLevel"):
            target["logging"]["logLevel"] = properties["logging"]["logLevel"]
        return 200, _in_progress(current, "Updating"), _operation(arm)
    raise ArmFailure(405, "MethodNotAllowed", f"{method} is not allowed here")


def _check_token(registry: Registry, token_id: Any, what: str) -> None:
    name = str(token_id or "").rsplit("/", 1)[-1]
    if not token_id or name not in registry.tokens:
        raise ArmFailure(400, "TokenNotFound", f"The {what} '{token_id}' does not exist.")


class ArmServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, arm: Arm, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.arm = arm
        self.socket = context.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@dataclass
class RunningArm:
    arm: Arm
    endpoint: str
    ca_file: Path
    resource_id: str


@contextlib.contextmanager
def running_arm(
    folder: Path,
    *,
    faults: ArmFaults | None = None,
    retry_after: str = "0",
    subscription: str = "00000000-0000-0000-0000-000000000001",
    resource_group: str = "edge-rg",
) -> Iterator[RunningArm]:
    """A local ARM on https://localhost:<port> with the registry `contosoregistry`, trusted
    through the returned CA file; its bearer token is `arm.token`."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = folder / "arm-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    arm = Arm(
        token=secrets.token_urlsafe(24),
        subscription=subscription,
        resource_group=resource_group,
        faults=faults or ArmFaults(),
        retry_after=retry_after,
    )
    registry = arm.add_registry("contosoregistry")
    server = ArmServer(arm, context)
    arm.host = f"localhost:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield RunningArm(arm, f"https://{arm.host}", ca_file, registry.id)
    finally:
        server.shutdown()
        server.server_close()
