"""A password or key is written as a literal instead of a `${NAME}` reference. Files with
literal secrets end up in version control, CI logs and reviews. Fix: write `${NAME}` and
set the environment variable `NAME` where `acr-edge deploy` runs (generated files keep the
reference)."""

from collections.abc import Iterator
from typing import Any

from acr_edge_cli.connection_strings import VARIABLE, parse_connection_string
from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT, create_options_path, env_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, ManifestContext
from acr_edge_cli.secrets import SECRET_FIELDS, is_placeholder, is_secret_name

NAME = "literal-secret"
SEVERITY = Severity.WARNING
SUMMARY = "a password or key appears as a literal instead of a `${NAME}` reference"


def _value_at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    # The document as written (before references are resolved), at each secret field.
    for device in context.plan.devices:
        written = _value_at(context.document.data, device.source)
        for field in SECRET_FIELDS:
            owner = ("connected_registry", *field) if field[0] == "sync_token" else field
            value = _value_at(written, owner)
            if isinstance(value, str) and not is_placeholder(value):
                yield Finding((*device.source, *owner), f"{'.'.join(field)} is a literal secret")
        modules = _value_at(written, ("modules",))
        for name, module in modules.items() if isinstance(modules, dict) else ():
            yield from _module_env(name, module, (*device.source, "modules", name))


def _module_env(name: str, module: Any, path: tuple[Any, ...]) -> Iterator[Finding]:
    """A hierarchy module's `env` values and `create_options.Env` (`NAME=value`) entries."""
    env = _value_at(module, ("env",))
    for variable, value in env.items() if isinstance(env, dict) else ():
        if is_secret_name(str(variable)) and isinstance(value, str) and not is_placeholder(value):
            yield Finding((*path, "env", variable), f"{name}: {variable} is a literal secret")
    entries = _value_at(module, ("create_options", "Env"))
    for position, entry in enumerate(entries if isinstance(entries, list) else ()):
        variable, equals, value = str(entry).partition("=")
        if equals and is_secret_name(variable) and not is_placeholder(value):
            yield Finding(
                (*path, "create_options", "Env", position),
                f"{name}: {variable} in createOptions Env is a literal secret",
            )


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for key, credential in context.registry_credentials().items():
        password = credential.get("password") if isinstance(credential, dict) else None
        if isinstance(password, str) and not is_placeholder(password):
            yield Finding(
                (*AGENT, "runtime", "settings", "registryCredentials", key, "password"),
                f"registry credentials {key!r}: the password is a literal",
            )
    for entry in context.user_modules():
        for name, value in entry.env().items():
            if not isinstance(value, str) or not value:
                continue
            if name == VARIABLE:
                password = parse_connection_string(value).get("SyncTokenPassword")
                if password and not is_placeholder(password):
                    yield Finding(
                        env_path(entry, name),
                        f"{entry.name}: SyncTokenPassword in {name} is a literal",
                    )
            elif is_secret_name(name) and not is_placeholder(value):
                yield Finding(env_path(entry, name), f"{entry.name}: {name} is a literal secret")
        entries = (entry.create_options or {}).get("Env")
        for entry_text in entries if isinstance(entries, list) else ():
            variable, equals, value = str(entry_text).partition("=")
            if equals and is_secret_name(variable) and not is_placeholder(value):
                yield Finding(
                    create_options_path(entry),
                    f"{entry.name}: {variable} in createOptions Env is a literal secret",
                )
