"""`acr-edge provision`: make ACR and IoT Hub hold what a hierarchy file names.

Three steps, each a function that returns results:
- `desired_state`: from the hierarchy's plan, everything it names, with no I/O — the
  registry, per connected registry its sync scope map (with the actions
  `az acr connected-registry create` gives it, its descendants' included), sync token,
  password, client tokens and the connected registry resource, and one IoT Edge identity per
  device;
- `plan_provision`: reads ACR and IoT Hub (never writes) and says, per resource, `create`,
  `update` (with the fields that differ) or `unchanged`;
- `apply_provision`: carries out that plan, parents first; a failed resource skips its
  dependents and names them. Nothing is ever deleted, and nothing the file does not name is
  read or written.

The clients (arm.ArmClient, iothub.HubClient) own retries, deadlines and error mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import isodate

from acr_edge_cli.calls import CallError
from acr_edge_cli.secrets import REFERENCE, device_secret_name

if TYPE_CHECKING:
    from acr_edge_cli.arm import ArmClient, RegistryId
    from acr_edge_cli.iothub import HubClient
    from acr_edge_cli.plan import DevicePlan, HierarchyPlan

# The scope-map actions `az acr connected-registry create` grants, from Azure/azure-cli
# src/azure-cli/azure/cli/command_modules/acr/connected_registry.py @06b8840b
# (DEFAULT_GATEWAY_SCOPE, REPO_SCOPES_BY_MODE, _create_sync_token, _update_ancestor_permissions)
# and _utils.py (parse_scope_map_actions: `repositories/<repo>/<action>`,
# `gateway/<registry>/<action>`, names lower-cased).
GATEWAY_ACTIONS = ("config/read", "config/write", "message/read", "message/write")
REPOSITORY_ACTIONS = {
    "ReadOnly": ("content/read", "metadata/read"),
    "ReadWrite": (
        "content/read",
        "content/write",
        "content/delete",
        "metadata/read",
        "metadata/write",
    ),
}
#: What a client token may do on its registry's repositories (pull only), as the
#: pull-images-from-connected-registry article's scope map.
CLIENT_ACTIONS = ("content/read", "metadata/read")
#: The modes' current names (Registry and Mirror are their deprecated aliases).
MODES = {"ReadWrite": "ReadWrite", "Registry": "ReadWrite", "ReadOnly": "ReadOnly",
         "Mirror": "ReadOnly"}  # fmt: skip

Kind = Literal[
    "registry", "scope-map", "token", "password", "connected-registry", "device-identity"
]
ActionName = Literal["create", "update", "unchanged", "failed", "skipped"]


def repository_actions(repositories: tuple[str, ...], mode: str) -> set[str]:
    return {
        f"repositories/{repository.lower()}/{action}"
        for repository in repositories
        for action in REPOSITORY_ACTIONS[MODES[mode]]
    }


def gateway_actions(registry_name: str) -> set[str]:
    return {f"gateway/{registry_name.lower()}/{action}" for action in GATEWAY_ACTIONS}


# --- what the file names ----------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One thing provision manages. `key` identifies it among its kind; `needs` are the
    keys (kind, key) it depends on."""

    kind: Kind
    name: str
    parent: str | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[tuple[Kind, str], ...] = ()

    @property
    def key(self) -> tuple[Kind, str]:
        return (self.kind, self.name)


@dataclass(frozen=True)
class DesiredState:
    resources: tuple[Resource, ...]  # in the order they are applied: parents first


def _reference_name(value: str) -> str | None:
    match = REFERENCE.fullmatch(value)
    return match.group(1) if match else None


def desired_state(plan: HierarchyPlan, registry: RegistryId) -> DesiredState:
    """Everything the hierarchy names, in apply order (no I/O)."""
    resources: list[Resource] = [Resource("registry", registry.registry)]
    registry_key: tuple[Kind, str] = ("registry", registry.registry)
    with_registry = [d for d in plan.devices if d.registry is not None]
    descendants: dict[str, list[DevicePlan]] = {d.id: [] for d in with_registry}
    for device in with_registry:
        ancestor = device.nearest_registry_ancestor
        while ancestor is not None:
            descendants[ancestor.id].append(device)
            ancestor = ancestor.nearest_registry_ancestor
    client_repositories: dict[str, set[str]] = {}
    for device in with_registry:
        assert device.registry is not None
        for client_token in device.registry.client_tokens:
            client_repositories.setdefault(client_token, set()).update(device.registry.repositories)
    created_client_tokens: set[str] = set()
    for device in with_registry:
        cr = device.registry
        assert cr is not None
        parent = device.nearest_registry_ancestor
        parent_name = parent.registry.name if parent and parent.registry else None
        actions = repository_actions(cr.repositories, cr.mode) | gateway_actions(cr.name)
        for child in descendants[device.id]:
            assert child.registry is not None
            actions |= repository_actions(child.registry.repositories, child.registry.mode)
            actions |= gateway_actions(child.registry.name)
        scope_map = Resource(
            "scope-map",
            cr.name,  # az names the sync scope map after the connected registry
            parent_name,
            {
                "actions": sorted(actions),
                "description": f"Sync scope map of connected registry {cr.name} (acr-edge)",
            },
            (registry_key,),
        )
        token = Resource(
            "token", cr.sync_token_name, cr.name, {"scope_map": cr.name}, (scope_map.key,)
        )
        resources += [scope_map, token]
        raw_password = (
            device.device.connected_registry.sync_token.password
            if device.device.connected_registry
            else ""
        )
        resources.append(
            Resource(
                "password",
                cr.sync_token_name,
                cr.name,
                {"secret": _reference_name(raw_password)},
                (token.key,),
            )
        )
        for client in cr.client_tokens:
            if client in created_client_tokens:
                continue
            created_client_tokens.add(client)
            map_name = f"{client}-scope-map"
            client_actions = {
                f"repositories/{repository.lower()}/{action}"
                for repository in client_repositories[client]
                for action in CLIENT_ACTIONS
            }
            client_map = Resource(
                "scope-map",
                map_name,
                None,
                {
                    "actions": sorted(client_actions),
                    "description": f"Pull access of client token {client} (acr-edge)",
                    "client_token": client,
                },
                (registry_key,),
            )
            resources += [
                client_map,
                Resource("token", client, None, {"scope_map": map_name}, (client_map.key,)),
            ]
        needs: list[tuple[Kind, str]] = [token.key]
        needs += [("token", client) for client in cr.client_tokens]
        if parent_name:
            needs.append(("connected-registry", parent_name))
        resources.append(
            Resource(
                "connected-registry",
                cr.name,
                parent_name,
                {
                    "mode": MODES[cr.mode],
                    "parent": parent_name,
                    "sync_token": cr.sync_token_name,
                    "schedule": cr.sync.schedule,
                    "window": cr.sync.window,
                    "message_ttl": cr.sync.message_ttl,
                    "client_tokens": sorted(cr.client_tokens),
                    "log_level": cr.log_level,
                    "notifications": sorted(cr.notifications),
                },
                tuple(needs),
            )
        )
    for device in plan.devices:
        parent_id = device.parent.id if device.parent else None
        resources.append(
            Resource(
                "device-identity",
                device.id,
                parent_id,
                {"parent": parent_id},
                (("device-identity", parent_id),) if parent_id else (),
            )
        )
    return DesiredState(tuple(resources))


# --- what the cloud holds, and the plan -------------------------------------------------


@dataclass
class Action:
    resource: Resource
    action: ActionName
    changes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource.kind,
            "name": self.resource.name,
            "parent": self.resource.parent,
            "action": self.action,
            "changes": self.changes,
            "error": self.error,
        }


@dataclass
class ProvisionResult:
    applied: bool
    actions: list[Action]
    #: secret name -> the password generated for it: for the secrets file only, never shown
    passwords: dict[str, str] = field(default_factory=dict, repr=False)
    #: device id -> its IoT Hub device scope, as the run read or made them
    scopes: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> bool:
        return any(a.action in ("failed", "skipped") for a in self.actions)

    def summary(self) -> dict[str, int]:
        counts = {name: 0 for name in ("create", "update", "unchanged", "failed", "skipped")}
        for action in self.actions:
            counts[action.action] += 1
        return counts


def _same_duration(left: Any, right: Any) -> bool:
    if left == right:
        return True
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    try:
        return bool(isodate.parse_duration(left) == isodate.parse_duration(right))
    except (isodate.ISO8601Error, ValueError):
        return False


def _name_of(resource_id: Any) -> str | None:
    return str(resource_id).rstrip("/").rsplit("/", 1)[-1] if resource_id else None


@dataclass
class _Clients:
    arm: ArmClient
    hub: HubClient
    environ: Mapping[str, str]
    rotate: bool
    #: device scopes learned on the way (a parent created earlier in the run)
    scopes: dict[str, str] = field(default_factory=dict)
    #: tokens this run creates: their password is generated whatever the environment holds
    new_tokens: set[str] = field(default_factory=set)


def _changed(name: str, current: Any, wanted: Any) -> dict[str, Any]:
    return {name: {"from": current, "to": wanted}}


def _plan_one(resource: Resource, clients: _Clients) -> tuple[ActionName, dict[str, Any]]:
    """What applying `resource` would do, from what the cloud holds now."""
    arm, spec = clients.arm, resource.spec
    if resource.kind == "registry":
        found = arm.get_registry()
        if found is None:
            raise _Refused(f"the registry {resource.name} does not exist in ACR")
        sku = (found.get("sku") or {}).get("name")
        if sku != "Premium":
            raise _Refused(
                f"the registry {resource.name} is {sku}; connected registries need Premium"
            )
        enabled = bool((found.get("properties") or {}).get("dataEndpointEnabled"))
        if not enabled:
            return "update", _changed("data_endpoint_enabled", False, True)
        return "unchanged", {}
    if resource.kind == "scope-map":
        found = arm.get_scope_map(resource.name)
        if found is None:
            return "create", {"actions": {"add": list(spec["actions"])}}
        current = set((found.get("properties") or {}).get("actions") or [])
        missing = sorted(set(spec["actions"]) - current)
        return ("update", {"actions": {"add": missing}}) if missing else ("unchanged", {})
    if resource.kind == "token":
        found = arm.get_token(resource.name)
        if found is None:
            clients.new_tokens.add(resource.name)
            return "create", {"scope_map": {"from": None, "to": spec["scope_map"]}}
        current_map = _name_of((found.get("properties") or {}).get("scopeMapId"))
        if current_map != spec["scope_map"]:
            if resource.parent is None:  # a client token the user made: theirs to keep
                return "unchanged", {}
            raise _Refused(
                f"the token {resource.name} exists with scope map {current_map}, not "
                f"{spec['scope_map']}; acr-edge does not repoint an existing token"
            )
        return "unchanged", {}
    if resource.kind == "password":
        secret = spec["secret"]
        if secret is None:
            if clients.rotate or resource.name in clients.new_tokens:
                raise _Refused(
                    f"the sync token password of {resource.parent} is written in the file, "
                    "not as ${NAME}: a new password would have nowhere to go"
                )
            return "unchanged", {}
        if clients.rotate or resource.name in clients.new_tokens or not clients.environ.get(secret):
            return "create", {"secret": secret}
        return "unchanged", {}
    if resource.kind == "connected-registry":
        return _plan_connected_registry(resource, arm)
    return _plan_identity(resource, clients)


def _plan_connected_registry(
    resource: Resource, arm: ArmClient
) -> tuple[ActionName, dict[str, Any]]:
    spec = resource.spec
    found = arm.get_connected_registry(resource.name)
    if found is None:
        return "create", {key: {"from": None, "to": value} for key, value in spec.items() if value}
    properties = found.get("properties") or {}
    mode = MODES.get(str(properties.get("mode")), properties.get("mode"))
    if mode != spec["mode"]:
        raise _Refused(
            f"the connected registry {resource.name} is {mode} in ACR and {spec['mode']} in "
            "the file; ACR cannot change a connected registry's mode (delete and create it "
            "again, or change the file)"
        )
    parent = properties.get("parent") or {}
    if _name_of(parent.get("id")) != spec["parent"]:
        raise _Refused(
            f"the connected registry {resource.name} has parent "
            f"{_name_of(parent.get('id'))} in ACR and {spec['parent']} in the file; ACR cannot "
            "change a connected registry's parent"
        )
    sync = parent.get("syncProperties") or {}
    changes: dict[str, Any] = {}
    if _name_of(sync.get("tokenId")) != spec["sync_token"]:
        raise _Refused(
            f"the connected registry {resource.name} syncs with token "
            f"{_name_of(sync.get('tokenId'))} in ACR and {spec['sync_token']} in the file; "
            "ACR cannot change a connected registry's sync token"
        )
    if sync.get("schedule") != spec["schedule"]:
        changes |= _changed("schedule", sync.get("schedule"), spec["schedule"])
    if not _same_duration(sync.get("syncWindow"), spec["window"]):
        changes |= _changed("window", sync.get("syncWindow"), spec["window"])
    if not _same_duration(sync.get("messageTtl"), spec["message_ttl"]):
        changes |= _changed("message_ttl", sync.get("messageTtl"), spec["message_ttl"])
    tokens = sorted(filter(None, map(_name_of, properties.get("clientTokenIds") or [])))
    if tokens != spec["client_tokens"]:
        changes |= _changed("client_tokens", tokens, spec["client_tokens"])
    level = (properties.get("logging") or {}).get("logLevel")
    if level != spec["log_level"]:
        changes |= _changed("log_level", level, spec["log_level"])
    notifications = sorted(properties.get("notificationsList") or [])
    if notifications != spec["notifications"]:
        changes |= _changed("notifications", notifications, spec["notifications"])
    return ("update", changes) if changes else ("unchanged", {})


def _plan_identity(resource: Resource, clients: _Clients) -> tuple[ActionName, dict[str, Any]]:
    found, _ = clients.hub.device(resource.name)
    parent = resource.spec["parent"]
    parent_scope = clients.scopes.get(parent) if parent else None
    if found is None:
        return "create", _changed("parent", None, parent) if parent else {}
    if not found["edge"]:
        raise _Refused(
            f"{resource.name} exists in IoT Hub but is not an IoT Edge device; acr-edge does "
            "not change the kind of an existing identity"
        )
    clients.scopes[resource.name] = found["scope"]
    current_scopes = found["parent_scopes"]
    if parent is None:
        if current_scopes:
            return "update", _changed("parent", current_scopes[0], None)
        return "unchanged", {}
    if parent_scope is None or current_scopes != [parent_scope]:
        current = current_scopes[0] if current_scopes else None
        owner = next((d for d, s in clients.scopes.items() if s == current), current)
        return "update", _changed("parent", owner, parent)
    return "unchanged", {}


class _Refused(Exception):
    """The file and the cloud disagree in a way acr-edge will not settle by itself."""


def plan_provision(
    desired: DesiredState,
    arm: ArmClient,
    hub: HubClient,
    environ: Mapping[str, str],
    *,
    rotate: bool = False,
) -> ProvisionResult:
    """Read ACR and IoT Hub and say what applying would do; sends no write."""
    clients = _Clients(arm, hub, environ, rotate)
    actions = _walk(desired, clients, apply=None)
    return ProvisionResult(False, actions, scopes=clients.scopes)


def apply_provision(
    desired: DesiredState,
    arm: ArmClient,
    hub: HubClient,
    environ: Mapping[str, str],
    *,
    rotate: bool = False,
    on_action: Callable[[Action], None] | None = None,
    device_connection_strings: bool = False,
    plan: ProvisionResult | None = None,
) -> ProvisionResult:
    """Make ACR and IoT Hub match the file, parents first. Generated passwords are returned
    in `passwords` (never printed) for the caller to write to the secrets file; with
    `device_connection_strings`, so is each device's connection string that `environ`
    lacks (`<DEVICE>_CONNECTION_STRING`, what a bundle's config.toml refers to). `plan`:
    what plan_provision just read, carried out as it is instead of read again."""
    clients = _Clients(arm, hub, environ, rotate)
    planned = None
    if plan is not None:
        clients.scopes.update(plan.scopes)
        planned = {action.resource.key: action for action in plan.actions}
    passwords: dict[str, str] = {}
    actions = _walk(desired, clients, apply=passwords, on_action=on_action, planned=planned)
    if device_connection_strings:
        for action in actions:
            name = device_secret_name(action.resource.name)
            if (
                action.resource.kind == "device-identity"
                and action.action in ("create", "update", "unchanged")
                and not environ.get(name)
            ):
                try:
                    passwords[name] = hub.connection_string(action.resource.name)
                except CallError as error:
                    action.action, action.error = "failed", f"reading its key: {error}"
    return ProvisionResult(True, actions, passwords)


def _walk(
    desired: DesiredState,
    clients: _Clients,
    *,
    apply: dict[str, str] | None,
    on_action: Callable[[Action], None] | None = None,
    planned: Mapping[tuple[Kind, str], Action] | None = None,
) -> list[Action]:
    """Each resource in order: what it needs (from `planned`, or read now), carried out
    when `apply` is given; a failure skips what depends on it."""
    actions: list[Action] = []
    broken: dict[tuple[Kind, str], str] = {}  # resource -> why it is not there
    for resource in desired.resources:
        blocked = next((need for need in resource.needs if need in broken), None)
        if blocked is not None:
            action = Action(
                resource,
                "skipped",
                error=f"needs {blocked[0]} {blocked[1]}, which {broken[blocked]}",
            )
            broken[resource.key] = "was skipped"
        else:
            known = planned.get(resource.key) if planned is not None else None
            name: ActionName
            changes: dict[str, Any]
            try:
                if known is not None and known.action == "failed":
                    raise _Refused(known.error or "failed")
                if known is not None and known.action != "skipped":
                    name, changes = known.action, known.changes
                else:
                    name, changes = _plan_one(resource, clients)
                if apply is not None and name in ("create", "update"):
                    _carry_out(resource, name, clients, apply)
                action = Action(resource, name, changes)
            except _Refused as refused:
                action = Action(resource, "failed", error=str(refused))
                broken[resource.key] = "failed"
            except CallError as error:
                action = Action(resource, "failed", error=str(error))
                broken[resource.key] = "failed"
        actions.append(action)
        if on_action is not None:
            on_action(action)
    return actions


def _carry_out(
    resource: Resource, action: ActionName, clients: _Clients, passwords: dict[str, str]
) -> None:
    arm, spec, registry = clients.arm, resource.spec, clients.arm.registry
    if resource.kind == "registry":
        arm.enable_data_endpoint()
    elif resource.kind == "scope-map":
        if action == "create":
            arm.put_scope_map(resource.name, list(spec["actions"]), spec["description"])
        else:
            found = arm.get_scope_map(resource.name) or {}
            current = set((found.get("properties") or {}).get("actions") or [])
            arm.update_scope_map(resource.name, sorted(current | set(spec["actions"])))
    elif resource.kind == "token":
        arm.create_token(resource.name, spec["scope_map"])
    elif resource.kind == "password":
        passwords[spec["secret"]] = arm.generate_password(resource.name)
    elif resource.kind == "connected-registry":
        properties = _connected_registry_properties(spec, registry)
        if action == "create":
            arm.create_connected_registry(resource.name, properties)
        else:
            sync = properties["parent"]["syncProperties"]
            arm.update_connected_registry(
                resource.name,
                {
                    "syncProperties": {
                        "schedule": sync["schedule"],
                        "syncWindow": sync["syncWindow"],
                        "messageTtl": sync["messageTtl"],
                    },
                    "clientTokenIds": properties["clientTokenIds"],
                    "logging": {"logLevel": spec["log_level"]},
                    "notificationsList": properties["notificationsList"],
                },
            )
    else:
        parent = spec["parent"]
        parent_scope = clients.scopes.get(parent) if parent else None
        if action == "create":
            clients.scopes[resource.name] = clients.hub.create_edge_device(
                resource.name, parent_scope
            )
        else:
            clients.hub.set_parent(resource.name, parent_scope)


def _connected_registry_properties(spec: Mapping[str, Any], registry: RegistryId) -> dict[str, Any]:
    """The REST body of a connected registry, as `az acr connected-registry create` sends it."""
    return {
        "mode": spec["mode"],
        "parent": {
            "id": registry.child("connectedRegistries", spec["parent"]) if spec["parent"] else None,
            "syncProperties": {
                "tokenId": registry.child("tokens", spec["sync_token"]),
                "schedule": spec["schedule"],
                "syncWindow": spec["window"],
                "messageTtl": spec["message_ttl"],
            },
        },
        "clientTokenIds": [registry.child("tokens", t) for t in spec["client_tokens"]],
        "logging": {"logLevel": spec["log_level"], "auditLogStatus": "Disabled"},
        "notificationsList": list(spec["notifications"]) or None,
    }
