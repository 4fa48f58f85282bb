"""What a file is, decided before it is judged: the one owner of that question.

People point `validate` at the JSON already in their repositories: complete manifests,
the `{"content": {"modulesContent": ...}}` wrapper az accepts, layered deployments, IoT
Hub configurations, the deployment templates VS Code and iotedgedev keep, and JSON that
is no manifest at all (an ARM template, a JSON Schema, `index.json`, a `launch.json`).
Each kind is checked against what that kind requires; the last is skipped with a note.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import orjson

from acr_edge_cli.diagnostics import JsonPath
from acr_edge_cli.document import SourceDocument, walk_strings


class Kind(enum.StrEnum):
    HIERARCHY = "hierarchy"
    MANIFEST = "manifest"
    WRAPPER = "az-wrapper"
    LAYERED = "layered"
    CONFIGURATION = "configuration"
    TEMPLATE = "template"
    OTHER = "other"


#: The spellings az accepts for the twins' content (`moduleContent` is the legacy one).
CONTENT_KEYS = ("modulesContent", "moduleContent")
LAYERED_PREFIX = "properties.desired."


@dataclass(frozen=True)
class FileKind:
    kind: Kind
    #: where the object holding modulesContent is: () for a manifest, ("content",) for a
    #: wrapper or a configuration
    base: JsonPath = ()
    #: the key the file spells modulesContent with
    content_key: str = "modulesContent"
    layered: bool = False
    #: for OTHER: what the file is instead
    other: str = ""

    @property
    def label(self) -> str:
        """The kind as the text report shows it."""
        if self.kind is Kind.OTHER:
            return "skipped"
        if self.kind is Kind.TEMPLATE and self.layered:
            return "template, layered"
        return self.kind.value


def _content_at(data: dict[str, Any]) -> tuple[JsonPath, str] | None:
    for key in CONTENT_KEYS:
        if isinstance(data.get(key), dict):
            return (), key
    content = data.get("content")
    if isinstance(content, dict):
        for key in CONTENT_KEYS:
            if isinstance(content.get(key), dict):
                return ("content",), key
    return None


def is_layered(modules_content: Any) -> bool:
    """Layered deployments address the twins by dot paths (`properties.desired.<path>`)."""
    return isinstance(modules_content, dict) and any(
        isinstance(twin, dict) and any(key.startswith(LAYERED_PREFIX) for key in twin)
        for twin in modules_content.values()
    )


def _names_built_images(modules_content: Any) -> bool:
    """Images written as `${MODULES.<name>}` / `${MODULEDIR<path>}`: only the IoT Edge
    tools (iotedgedev, VS Code) fill these in, from a template."""
    return any(
        "${MODULES." in text or "${MODULEDIR<" in text for _, text in walk_strings(modules_content)
    )


def _not_a_manifest(path: PurePath, data: dict[str, Any]) -> str | None:
    schema = data.get("$schema")
    schema = schema if isinstance(schema, str) else ""
    if "deploymenttemplate" in schema.lower() or ("resources" in data and "contentVersion" in data):
        return "an ARM template, not a deployment manifest"
    if "json-schema.org" in schema:
        return "a JSON Schema, not a deployment manifest"
    if path.name == "index.json" and "devices" in data and "version" in data:
        return "an acr-edge output index; validate its folder to check the manifests"
    return None


def detect(path: PurePath, data: Any, *, template_text: bool = False) -> FileKind:
    """The kind of a parsed file, by its name and its top-level keys.

    `template_text`: the file only parsed once its bare `${NAME}` tokens were quoted.
    """
    if path.suffix.lower() not in (".json", ""):
        return FileKind(Kind.HIERARCHY)
    if not isinstance(data, dict):
        return FileKind(Kind.OTHER, other="JSON that is not an object, not a deployment manifest")
    other = _not_a_manifest(path, data)
    if other is not None:
        return FileKind(Kind.OTHER, other=other)
    found = _content_at(data)
    if found is None:
        if "devices" in data:
            return FileKind(Kind.HIERARCHY)
        return FileKind(Kind.OTHER, other="no modulesContent, not a deployment manifest")
    base, key = found
    content: dict[str, Any] = data["content"] if base else data
    twins = content[key]
    if key == "moduleContent" and twins and not any(t.startswith("$edge") for t in twins):
        # `moduleContent` of an automatic module configuration: a module twin's
        # `properties.desired...`, no edge deployment
        return FileKind(
            Kind.OTHER, other="an IoT Hub module configuration, not an IoT Edge deployment"
        )
    layered = is_layered(content[key])
    template = (
        template_text
        or "$schema-template" in data
        or ".template" in path.name.lower()  # deployment.template.json, x.template_1.json
        or _names_built_images(content[key])
    )
    if template:
        return FileKind(Kind.TEMPLATE, base, key, layered)
    if base and ("id" in data or "targetCondition" in data):
        return FileKind(Kind.CONFIGURATION, base, key, layered)
    if layered:
        return FileKind(Kind.LAYERED, base, key, True)
    return FileKind(Kind.WRAPPER if base else Kind.MANIFEST, base, key)


def forced(kind: Kind, path: PurePath, data: Any) -> FileKind:
    """The file read as `kind` (--kind), whatever its shape suggests."""
    if kind in (Kind.HIERARCHY, Kind.OTHER):
        return FileKind(kind, other="skipped (--kind other)")
    found = _content_at(data) if isinstance(data, dict) else None
    base, key = found if found is not None else ((), "modulesContent")
    content = data.get("content") if base and isinstance(data, dict) else data
    twins = content.get(key) if isinstance(content, dict) else None
    if kind is Kind.WRAPPER and not base:
        base = ("content",)
    return FileKind(kind, base, key, kind is Kind.LAYERED or is_layered(twins))


# --- views: each kind's content as the checks read it ----------------------------------


def manifest_view(document: SourceDocument, kind: FileKind) -> SourceDocument:
    """The manifest inside a wrapper (az strips `$schema` and reads `moduleContent` as
    modulesContent), or the document itself."""
    if not kind.base and kind.content_key == "modulesContent":
        return document
    outer = document.data
    content = outer.get("content") if kind.base else outer
    data = {k: v for k, v in content.items() if k not in ("$schema", kind.content_key)}
    data["modulesContent"] = content[kind.content_key]
    base, key = kind.base, kind.content_key

    def to_source(path: JsonPath) -> JsonPath:
        if path and path[0] == "modulesContent":
            return (*base, key, *path[1:])
        return (*base, *path)

    return document.view(data, to_source)


def layered_view(document: SourceDocument) -> SourceDocument:
    """A layered deployment's twins with their dot paths expanded
    (`properties.desired.modules.x` -> properties.desired / modules / x), for the checks of
    modules and routes; findings point at the keys as written."""
    modules_content = document.data["modulesContent"]
    expanded: dict[str, Any] = {}
    #: expanded prefix -> the path as written
    written: dict[JsonPath, JsonPath] = {}
    for twin, content in modules_content.items():
        if not isinstance(content, dict):
            expanded[twin] = content
            continue
        target: dict[str, Any] = {}
        for key, value in content.items():
            if not key.startswith(LAYERED_PREFIX):
                target[key] = value
                continue
            parts = key.split(".")
            node = target.setdefault("properties.desired", {})
            for part in parts[2:-1]:
                node = node.setdefault(part, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                node[parts[-1]] = value
            written[("modulesContent", twin, "properties.desired", *parts[2:])] = (
                "modulesContent",
                twin,
                key,
            )
        expanded[twin] = target
    data = {**document.data, "modulesContent": expanded}
    # longest prefixes first, so a deeper dot path wins
    prefixes = sorted(written, key=len, reverse=True)

    def to_source(path: JsonPath) -> JsonPath:
        for prefix in prefixes:
            if path[: len(prefix)] == prefix:
                return (*written[prefix], *path[len(prefix) :])
        return path

    return document.view(data, to_source)


def template_view(document: SourceDocument) -> tuple[SourceDocument, frozenset[JsonPath]]:
    """A deployment template as the tools build it: createOptions written as JSON objects
    become the strings they are turned into (genconfig). Returns the view and the paths of
    the createOptions it turned into strings (the tools also split those into chunks)."""
    stringified: set[JsonPath] = set()

    def walk(node: Any, path: JsonPath) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "createOptions" and isinstance(value, (dict, list)):
                    out[key] = orjson.dumps(value).decode()
                    stringified.add((*path, key))
                else:
                    out[key] = walk(value, (*path, key))
            return out
        if isinstance(node, list):
            return [walk(item, (*path, index)) for index, item in enumerate(node)]
        return node

    data = walk(document.data, ())
    if not stringified:
        return document, frozenset()
    return document.view(data, lambda path: path), frozenset(stringified)
