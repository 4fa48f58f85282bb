"""The hierarchy file as strict pydantic models (format version 1, docs/hierarchy.md).

Only what does not fit the format at all is rejected here (types, unknown or missing keys,
values outside an enumeration): those are input errors, exit 2. Problems the rule catalog
names (registry name pattern, cron syntax, duplicate ids...) load fine and are reported by
the rules, exit 1, so that `validate` can list them all with their fixes.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from acr_edge_cli.diagnostics import Diagnostic, JsonPath, PathPart, to_dotted
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.errors import InputError
from acr_edge_cli.secrets import is_secret_path

# IoT Hub device ids: up to 128 ASCII letters, digits and -.%_*?!(),:=@$'
DEVICE_ID = r"^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$"
# Module names the runtime accepts as keys of `modules` (the az iot edgeAgent schema's pattern).
MODULE_NAME = r"^[a-zA-Z0-9_-]+$"
# Environment variable and route names as the edgeAgent and edgeHub schemas allow them.
ENV_NAME = r"^[^+#$\s.]+$"
ROUTE_NAME = r"^[^.$# ]+$"
HOST_NAME = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$"
HIERARCHY_NAME = r"^[a-z0-9-]{1,64}$"

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
DeviceId = Annotated[str, StringConstraints(pattern=DEVICE_ID)]
ModuleName = Annotated[str, StringConstraints(pattern=MODULE_NAME)]
EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME)]
RouteName = Annotated[str, StringConstraints(pattern=ROUTE_NAME)]
HostName = Annotated[str, StringConstraints(pattern=HOST_NAME)]
#: A registry's ARM id: /subscriptions/<id>/resourceGroups/<group>/providers/
#: Microsoft.ContainerRegistry/registries/<name>
RegistryResourceId = Annotated[
    str,
    StringConstraints(
        pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
        r"[Mm]icrosoft\.[Cc]ontainer[Rr]egistry/registries/[A-Za-z0-9]{5,50}$"
    ),
]
Port = Annotated[int, Field(ge=1, le=65535)]
LogLevel = Literal["Debug", "Information", "Warning", "Error", "None"]
RegistryMode = Literal["ReadWrite", "ReadOnly", "Registry", "Mirror"]


def _empty(kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
    """An empty list or mapping as a field's default. A literal `[]` or `{}` default is
    deep-copied for every instance, which cost 0.3 s of loading 10,000 devices."""
    return Field(default_factory=kind, json_schema_extra={"default": kind()})


class Strict(BaseModel):
    # strict: YAML's `version: 1.5` (a float) is an error, not a silent "1.5"; frozen: the
    # model is a value passed down the pipeline, never edited on the way.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def overridden_by(self, override: Strict | None) -> Any:
        """This model with the keys `override` sets explicitly (defaults merged per key)."""
        if override is None:
            return self
        return self.model_copy(
            update={name: getattr(override, name) for name in override.model_fields_set}
        )


class CloudRegistry(Strict):
    login_server: HostName
    data_endpoint: HostName | None = None
    #: the registry's ARM resource id: what `provision` and `status` manage and read
    resource_id: RegistryResourceId | None = None


class IotHub(Strict):
    host: HostName


class EdgeRuntime(Strict):
    version: NonEmpty = "1.5"
    agent_schema_version: Literal["1.0", "1.1"] = "1.1"
    hub_schema_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.1"
    min_docker_version: NonEmpty = "v1.25"
    store_and_forward_ttl_secs: int = 7200
    #: edgeAgent's SendRuntimeQualityTelemetry: anonymous runtime metrics to Microsoft. Off,
    #: as in the nested connected-registry tutorial: layers below the top reach no cloud
    #: endpoint, and a plant's OT network usually allows none.
    runtime_quality_telemetry: bool = False


class ApiProxy(Strict):
    module_name: ModuleName = "IoTEdgeAPIProxy"
    version: NonEmpty = "1.1"
    port: Port = 8000
    blob_upload_route: NonEmpty | None = None


class SyncSettings(Strict):
    schedule: str = "* * * * *"
    window: str | None = None
    message_ttl: str = "P2D"


class ConnectedRegistryDefaults(Strict):
    module_name: ModuleName = "connected-registry"
    version: NonEmpty = "0.9.0"
    data_dir: NonEmpty = "/var/lib/connected-registry"
    log_level: LogLevel = "Information"
    sync: SyncSettings = SyncSettings()


class Defaults(Strict):
    edge_runtime: EdgeRuntime = EdgeRuntime()
    api_proxy: ApiProxy = ApiProxy()
    connected_registry: ConnectedRegistryDefaults = ConnectedRegistryDefaults()


class Credentials(Strict):
    username: NonEmpty
    password: NonEmpty


class SyncToken(Strict):
    name: NonEmpty
    password: NonEmpty


class ConnectedRegistry(Strict):
    name: NonEmpty
    # Required: the Azure CLI defaults to ReadWrite and the Arc extension to ReadOnly, and the
    # mode cannot be changed after creation, so the file must say which.
    mode: RegistryMode
    repositories: Annotated[list[NonEmpty], Field(min_length=1)]
    sync_token: SyncToken
    sync: SyncSettings | None = None
    log_level: LogLevel | None = None
    client_tokens: list[NonEmpty] = _empty(list)
    notifications: list[NonEmpty] = _empty(list)
    data_dir: NonEmpty | None = None
    version: NonEmpty | None = None
    module_name: ModuleName | None = None


EnvValue = str | bool | int | float


class Module(Strict):
    image: NonEmpty
    create_options: dict[str, Any] | None = None
    env: dict[EnvName, EnvValue] = _empty(dict)
    status: Literal["running", "stopped"] = "running"
    restart_policy: Literal["always", "never", "on-failure", "on-unhealthy"] = "always"
    startup_order: Annotated[int, Field(ge=0, le=4294967295)] | None = None
    image_pull_policy: Literal["on-create", "never"] | None = None
    version: NonEmpty = "1.0"
    desired_properties: dict[str, Any] | None = None


class Route(Strict):
    route: NonEmpty
    priority: Annotated[int, Field(ge=0, le=9)] | None = None
    time_to_live_secs: Annotated[int, Field(ge=0, le=4294967295)] | None = None


class Device(Strict):
    id: DeviceId
    # its length and grammar are the hostname-invalid rule's to report
    hostname: Annotated[str, StringConstraints(min_length=1)] | None = None
    connected_registry: ConnectedRegistry | None = None
    api_proxy: bool | ApiProxy | None = None
    registry_credentials: Credentials | None = None
    modules: dict[ModuleName, Module] = _empty(dict)
    routes: dict[RouteName, NonEmpty | Route] | None = None
    edge_runtime: EdgeRuntime | None = None
    tags: dict[str, Any] = _empty(dict)
    children: list[Device] = _empty(list)


class Hierarchy(Strict):
    version: Literal[1]
    name: Annotated[str, StringConstraints(pattern=HIERARCHY_NAME)]
    cloud_registry: CloudRegistry
    iot_hub: IotHub | None = None
    defaults: Defaults = Defaults()
    devices: Annotated[list[Device], Field(min_length=1)]


# --- turning pydantic's errors into one line a person understands ----------------------------

_TYPE_NAMES = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


class _Masked:
    """Stands in for a secret's value in messages: its type may be shown, never its text."""


def _describe(value: Any) -> str:
    if isinstance(value, _Masked):
        return "a value (hidden: secret field)"
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)) or value is None:
        return kind
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} ({text})"


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "float_type": "a number",
}
_MAPPING_TYPES = {"dict_type", "model_type", "model_attributes_type"}


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    return list(model.model_fields) if model else []


# What the format's patterns mean, for messages; the regex itself is no help to a reader.
_PATTERN_MEANING = {
    DEVICE_ID: "an IoT Hub device id (up to 128 letters, digits and -.%_*?!(),:=@$')",
    MODULE_NAME: "a module name (letters, digits, '-' and '_')",
    ENV_NAME: "an environment variable name (no '+', '#', '$', '.' or space)",
    ROUTE_NAME: "a route name (no '.', '$', '#' or space)",
    HOST_NAME: "a host name such as contoso.azurecr.io (no scheme, no path)",
    HIERARCHY_NAME: "1 to 64 lowercase letters, digits and '-'",
}


def _model_at(path: JsonPath) -> type[BaseModel] | None:
    """The model class that the mapping at `path` is read as (for "did you mean")."""
    annotation: Any = Hierarchy
    for part in path:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    for candidate in _members(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (Annotated and Optional unwrapped)."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _step(annotation: Any, part: PathPart) -> Any:
    for candidate in _members(annotation):
        origin = get_origin(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(str(part))
            if field is not None:
                return field.annotation
        elif origin is dict and isinstance(part, str):
            return get_args(candidate)[1]
        elif origin is list and isinstance(part, int):
            return get_args(candidate)[0]
    return None


def _holds(node: Any, part: PathPart) -> bool:
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return isinstance(node, Mapping) and part in node


def _split_loc(loc: tuple[int | str, ...], data: Any, missing: bool) -> tuple[JsonPath, int | None]:
    """The file path in a pydantic `loc`, and where a union member's tag was dropped.

    pydantic puts the union member it tried (`str`, `ApiProxy`, `constrained-str`...) and
    `[key]` into `loc`; an element is a key of the file only if the data has it there.
    """
    path: list[PathPart] = []
    union_at = None
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if _holds(node, part):
            node = node[part]
        elif missing and last and isinstance(part, str):
            path.append(part)
            break
        else:
            if part != "[key]" and union_at is None:
                union_at = len(path)
            continue
        path.append(part)
    return tuple(path), union_at


def _message(
    error: ErrorDetails, path: JsonPath, written: Callable[[JsonPath], str | None]
) -> tuple[str, bool]:
    """The message for one pydantic error, and whether it is about the key itself."""
    kind = error["type"]
    where = to_dotted(path)
    value = error.get("input")
    if is_secret_path(path):
        value = _Masked()
    if kind == "extra_forbidden":
        key = str(path[-1])
        parent = to_dotted(path[:-1]) or "the top level"
        allowed = _allowed_keys(_model_at(path[:-1]))
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        )
        return f"{parent}: unknown key {key!r}{hint}", True
    if kind == "invalid_key":
        parent = to_dotted(path[:-1]) or "the top level"
        return f"{parent}: key {path[-1]!r} is not a string; quote it", True
    if kind == "missing":
        parent = to_dotted(path[:-1]) or "the top level"
        return f"{parent}: missing required key {path[-1]!r}", False
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{where}: {_describe(value)} is not one of {expected}", False
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        meaning = _PATTERN_MEANING.get(pattern, f"a value matching {pattern}")
        return f"{where}: {_describe(value)} is not {meaning}", False
    if kind in ("too_short", "string_too_short"):
        return f"{where}: must not be empty", False
    if kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length")
        return f"{where}: longer than {limit} characters", False
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{where}: {error['msg'].lower()}, got {value!r}", False
    if kind in _EXPECTED:
        hint = ""
        if (
            kind == "string_type"
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            spelled = written(path) or str(value)
            hint = f' (quote it: "{spelled}")'
            if isinstance(value, float) and spelled != str(value):
                hint = f' (YAML reads {spelled} as the number {value}: quote it, "{spelled}")'
        return f"{where}: expected {_EXPECTED[kind]}, got {_describe(value)}{hint}", False
    return f"{where}: {error['msg']}", False


def parse_hierarchy(document: SourceDocument) -> Hierarchy:
    """Validate loaded data against the format; every problem becomes one located line."""
    if not isinstance(document.data, Mapping):
        raise InputError(
            [
                document.diagnostic(
                    (), f"expected a mapping at the top level, got {_describe(document.data)}"
                )
            ]
        )
    try:
        return Hierarchy.model_validate(document.data)
    except ValidationError as error:
        raise InputError(_diagnostics(error, document)) from None


def _value_at(data: Any, path: JsonPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _diagnostics(error: ValidationError, document: SourceDocument) -> list[Diagnostic]:
    found: dict[tuple[JsonPath, str], Diagnostic] = {}
    # Union members (a route string or mapping, api_proxy true/false or mapping) each report
    # their own complaint. For a mapping input, only the mapping member's findings matter; for
    # anything else, one line lists what the members accept.
    union_expected: dict[JsonPath, list[str]] = {}
    missing: dict[JsonPath, tuple[JsonPath, str]] = {}  # a missing key -> its finding
    misspelt: set[JsonPath] = set()  # keys an unknown key is a typo of
    for details in error.errors(include_url=False):
        path, union_at = _split_loc(details["loc"], document.data, details["type"] == "missing")
        if union_at is not None:
            base = path[:union_at]
            value = _value_at(document.data, base)
            if details["type"] in _EXPECTED and path == base:
                union_expected.setdefault(base, []).append(_EXPECTED[details["type"]])
                continue
        message, on_key = _message(details, path, document.written_at)
        on_key = on_key or "[key]" in details["loc"]  # a bad mapping key: point at the key
        if details["type"] == "invalid_key":  # the file spells the key as text
            path = (*path[:-1], str(path[-1]))
        found.setdefault((path, message), document.diagnostic(path, message, key=on_key))
        if details["type"] == "missing":
            missing[path] = (path, message)
        elif details["type"] == "extra_forbidden":
            close = difflib.get_close_matches(
                str(path[-1]), _allowed_keys(_model_at(path[:-1])), n=1
            )
            if close:
                misspelt.add((*path[:-1], close[0]))
    # A misspelt key is one mistake: "unknown key 'nmae'; did you mean 'name'?" says it all,
    # without "missing required key 'name'" beside it.
    for path in misspelt & missing.keys():
        found.pop(missing[path], None)
    for base, expected in union_expected.items():
        if any(path[: len(base)] == base for path, _ in found):
            continue  # the mapping member already said what is wrong inside it
        value = _value_at(document.data, base)
        if isinstance(value, Mapping) and "a mapping" in expected:
            continue  # defensive: a mapping member that accepted the value
        accepted = " or ".join(dict.fromkeys(expected))
        message = f"{to_dotted(base)}: expected {accepted}, got {_describe(value)}"
        found[(base, message)] = document.diagnostic(base, message)
    if not found:  # never leave an error without a message
        for details in error.errors(include_url=False):
            path, _ = _split_loc(details["loc"], document.data, details["type"] == "missing")
            message = f"{to_dotted(path) or 'the top level'}: {details['msg']}"
            found[(path, message)] = document.diagnostic(path, message)
    return sorted(found.values())


def hierarchy_json_schema() -> dict[str, Any]:
    """The hierarchy format as a JSON Schema (draft 2020-12), for editors and `acr-edge schema`."""
    schema = Hierarchy.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:acr-edge:schema:hierarchy",
        "title": "acr-edge hierarchy file (format version 1)",
        **{key: value for key, value in schema.items() if key != "title"},
    }
