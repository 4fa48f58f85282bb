"""Deployment manifests against the bundled JSON Schemas, chosen by schemaVersion.

Validators are compiled once per process. An unknown schemaVersion is reported, never
skipped (az iot skips validation silently when it has no schema for a version).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from acr_edge_cli import resources
from acr_edge_cli.diagnostics import JsonPath
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.secrets import holds_secret

if TYPE_CHECKING:  # jsonschema is loaded only to explain an invalid document
    import jsonschema
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

AGENT_SCHEMA_VERSIONS = ("1.0", "1.1")
HUB_SCHEMA_VERSIONS = ("1.0", "1.1", "1.2", "1.3")

#: (path, message, about the key) of one finding; the caller locates it.
SchemaFinding = tuple[JsonPath, str, bool]


@functools.cache
def _registry() -> Registry:
    """Every bundled schema by its $id, so that references between them resolve offline."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources_by_id = []
    for name in resources.schema_names():
        schema = resources.load_schema(name)
        resources_by_id.append((schema["$id"], Resource.from_contents(schema, DRAFT202012)))
    registry: Registry = Registry().with_resources(resources_by_id)
    return registry


@functools.cache
def _fast_validator(name: str) -> jsonschema_rs.Validator:
    """A compiled (Rust) validator: a yes/no answer in microseconds, for the common case."""
    schemas = [resources.load_schema(n) for n in resources.schema_names()]
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas])
    return jsonschema_rs.validator_for(resources.load_schema(name), registry=registry)


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """The explaining validator for a bundled schema, built once per process."""
    import jsonschema

    schema = resources.load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    result: jsonschema.protocols.Validator = cls(schema, registry=_registry())
    return result


def _describe_error(error: ValidationError) -> SchemaFinding:
    path: JsonPath = tuple(error.absolute_path)
    where = "/".join(str(p) for p in path) or "the document"
    keyword = error.validator
    if "propertyNames" in error.absolute_schema_path:
        key = str(error.instance)
        return (*path, key), f"{where}: key {key!r} is not allowed here ({error.message})", True
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        extra = [
            key
            for key in error.instance
            if key not in allowed and not any(re.search(p, key) for p in patterns)
        ]
        if extra:
            return (*path, extra[0]), f"{where}: unknown key {extra[0]!r}", True
    shown = _brief(error.instance, path)
    if keyword == "const":
        return path, f"{where}: must be {error.validator_value!r}, not {shown}", False
    return path, f"{where}: {error.message.replace(repr(error.instance), shown)}", False


#: The longest value quoted in a schema finding; longer ones are cut (the pointer says where).
QUOTE_LIMIT = 60


def _brief(value: Any, path: JsonPath) -> str:
    """A value as a finding may quote it: never a secret, never a whole object."""
    key = str(path[-1]) if path else ""
    if holds_secret(value, key):
        return "the value (hidden: it holds a secret)"
    if isinstance(value, dict):
        return "the mapping"
    if isinstance(value, list):
        return "the list"
    text = repr(value)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 2] + "…" + text[0]


def _closest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the alternative that fits the value's type says what is wrong."""
    from jsonschema.exceptions import best_match

    fitting = [e for e in error.context or [] if e.validator != "type"]
    if fitting:
        return max(fitting, key=lambda e: len(e.absolute_path))
    best: ValidationError = best_match(error.context or [error])
    return best


def errors(name: str, instance: Any, prefix: JsonPath = ()) -> Iterator[SchemaFinding]:
    """Findings of one bundled schema over `instance`, with paths under `prefix`.

    Valid documents, nearly all of them, are confirmed by the compiled validator; the
    Python one runs only to explain what is wrong, with paths and messages.
    """
    if _fast_validator(name).is_valid(instance):
        return
    for error in validator(name).iter_errors(instance):
        if error.context:
            error = _closest(error)
        path, message, on_key = _describe_error(error)
        yield (*prefix, *path), message, on_key


def _schema_version(twin: Any) -> Any:
    if isinstance(twin, dict):
        desired = twin.get("properties.desired")
        if isinstance(desired, dict):
            return desired.get("schemaVersion")
    return None


def manifest_errors(content: Any) -> list[SchemaFinding]:
    """Schema findings for one manifest (the outer shape, then $edgeAgent and $edgeHub)."""
    findings = list(errors("deployment-manifest", content, ()))
    modules = content.get("modulesContent") if isinstance(content, dict) else None
    if not isinstance(modules, dict):
        return findings
    for twin_name, schema_prefix, known in (
        ("$edgeAgent", "edgeagent", AGENT_SCHEMA_VERSIONS),
        ("$edgeHub", "edgehub", HUB_SCHEMA_VERSIONS),
    ):
        twin = modules.get(twin_name)
        if not isinstance(twin, dict):
            continue
        version = _schema_version(twin)
        base: JsonPath = ("modulesContent", twin_name)
        if version is None or not isinstance(version, str) or has_placeholder(version):
            # No usable version: check against the newest, which reports the version itself
            # (a template's placeholder is dropped by the schema rule as unknown).
            findings.extend(errors(f"{schema_prefix}-{known[-1]}", twin, base))
        elif version in known:
            findings.extend(errors(f"{schema_prefix}-{version}", twin, base))
        # An unknown version is the unknown-schema-version rule's finding, not a schema one.
    return findings
