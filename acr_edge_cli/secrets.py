"""What a secret is, and how one is shown: the one place that decides both.

Everything else asks here: reading references (which fields keep `${NAME}`), the model's
error messages (never quote a secret field), the `literal-secret` rule, schema findings,
and deploy's diffs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from acr_edge_cli import placeholders
from acr_edge_cli.diagnostics import JsonPath, PathPart, to_pointer

#: Hierarchy fields whose values are secrets, by the last two keys of their path.
SECRET_FIELDS = frozenset({("sync_token", "password"), ("registry_credentials", "password")})

#: A whole `${NAME}` reference, the form a secret takes in files acr-edge writes.
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# A name (an environment variable, a JSON key) that holds a secret: its last word is one of
# these, after `_`, `-` or `.` in any case (SYNC_PASSWORD, api-token), or as a camelCase word
# (sharedAccessKey, ConnectionString). MONKEY and TOKENIZER are not secrets.
_SECRET_WORDS = "password|passwd|pwd|secret|key|token|connection_?string|sas"
_SECRET_NAME_SEPARATED = re.compile(rf"(?:^|[_.\-])(?:{_SECRET_WORDS})$", re.IGNORECASE)
_SECRET_NAME_CAMEL = re.compile(
    r"[a-z0-9](?:Password|Passwd|Secret|Key|Token|ConnectionString|Sas)$"
)

#: `Name=value` pairs of a connection string whose value is a secret.
_SECRET_PAIR = re.compile(
    r"((?:SyncTokenPassword|SharedAccessKey|SharedAccessSignature|AccountKey)=)([^;]*)",
    re.IGNORECASE,
)

MASK = "********"


def is_secret_path(path: Sequence[PathPart]) -> bool:
    """A hierarchy path whose value is a secret (kept as `${NAME}` in generated files)."""
    return tuple(path[-2:]) in SECRET_FIELDS


def is_secret_name(name: str) -> bool:
    """An environment variable or key that names a secret (SYNC_PASSWORD, apiKey, ...)."""
    return bool(_SECRET_NAME_SEPARATED.search(name) or _SECRET_NAME_CAMEL.search(name))


def is_placeholder(value: str) -> bool:
    """True for a value that stands in for a secret rather than being one: empty, or only
    placeholders (`<password>`, `${NAME}`, `$NAME`, `%NAME%`) and spaces."""
    return placeholders.is_placeholder(value)


def is_reference(value: str) -> bool:
    """True when the whole value is one `${NAME}` reference."""
    return REFERENCE.fullmatch(value) is not None


def secret_pairs(text: str) -> list[str]:
    """The secret values of `Name=value` pairs in a connection string."""
    return [match.group(2) for match in _SECRET_PAIR.finditer(text)]


def masked(secret: str) -> str:
    """A mask that still shows that a secret changed: 8 hex digits of its SHA-256, which say
    nothing usable about a random token. A reference is no secret and is shown as it is."""
    if is_reference(secret):
        return secret
    return f"{MASK}#{hashlib.sha256(secret.encode()).hexdigest()[:8]}"


def mask_text(text: str, values: Collection[str] = ()) -> str:
    """`text` with connection-string secrets and each of `values` masked."""
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + masked(m.group(2)), text)
    for value in sorted(values, key=len, reverse=True):
        if value:
            text = text.replace(value, masked(value))
    return text


def _mask_secret_value(value: str, values: Collection[str]) -> str:
    # a connection string keeps what is not secret in it (names, endpoints) readable
    return mask_text(value, values) if secret_pairs(value) else masked(value)


def mask(value: Any, key: str = "", values: Collection[str] = ()) -> Any:
    """A copy of a JSON value with every secret masked: values under a secret key, secret
    environment variables (`{"NAME": {"value": ...}}`), connection-string secrets, and any
    of `values` (secrets known by value, such as those just resolved) wherever they are."""
    if isinstance(value, dict):
        copy: dict[str, Any] = {}
        for name, item in value.items():
            if isinstance(item, dict) and set(item) == {"value"} and is_secret_name(name):
                copy[name] = {"value": _mask_secret_value(str(item["value"]), values)}
            else:
                copy[name] = mask(item, name, values)
        return copy
    if isinstance(value, list):
        return [mask(item, key, values) for item in value]
    if isinstance(value, str):
        if key and is_secret_name(key):
            return _mask_secret_value(value, values)
        return mask_text(value, values)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and is_secret_name(key):
        return masked(str(value))  # a password written as a number is still one
    return value


def holds_secret(value: Any, key: str = "") -> bool:
    """True when a JSON value has a secret anywhere in it (as mask() would hide)."""
    return bool(mask(value, key) != value)


# --- where secret references land in generated files ------------------------------------------
#
# A secret field kept as `${NAME}` is carried through planning and rendering with each
# reference wrapped in a marker no input can forge (a NUL and a per-process nonce), so that
# after rendering the exact places it landed are known and recorded in index.json. `deploy`
# resolves references there and nowhere else: a literal `${X}` elsewhere (written `$${X}`)
# is sent as written.

_NONCE = os.urandom(6).hex()
_MARK = re.compile(f"\x00{_NONCE}([A-Za-z_][A-Za-z0-9_]*)\x00")
_MARK_JSON = f"\\u0000{_NONCE}".encode()  # a marker as orjson writes it
# `${NAME}` not preceded by the `$` that escapes it
_UNESCAPED_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: Where a file holds secret references: (RFC 6901 pointer, the names referenced there).
SecretPlaces = list[tuple[str, list[str]]]


def mark_references(value: str, names: Collection[str] | None = None) -> str:
    """`value` with each unescaped `${NAME}` (of `names`, if given) marked as a secret."""

    def marked(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"\x00{_NONCE}{name}\x00" if names is None or name in names else match.group(0)

    return _UNESCAPED_REFERENCE.sub(marked, value)


def restore_references(value: str) -> str:
    """A plan's marked secret as the `${NAME}` text it was written as."""
    return _unmark(value)[0]


def device_secret_name(device_id: str) -> str:
    """The variable that holds a device's IoT Hub connection string (TOP_LAYER_CONNECTION_STRING
    for `top-layer`): what `provision` writes and a bundle's config.toml references."""
    stem = re.sub(r"[^A-Za-z0-9]", "_", device_id).upper()
    if stem[:1].isdigit():
        stem = f"DEVICE_{stem}"
    return f"{stem}_CONNECTION_STRING"


def device_secret_clashes(device_ids: Collection[str]) -> dict[str, list[str]]:
    """Variable names that two or more device ids map to (`top-layer`, `top_layer`): each
    with the ids, which would read one another's connection string."""
    by_name: dict[str, list[str]] = {}
    for device_id in device_ids:
        by_name.setdefault(device_secret_name(device_id), []).append(device_id)
    return {name: ids for name, ids in by_name.items() if len(ids) > 1}


def _unmark(value: str) -> tuple[str, list[str]]:
    """A marked string with its references restored, and the names in it."""
    names = sorted(set(_MARK.findall(value)))
    for name in names:
        value = value.replace(f"\x00{_NONCE}{name}\x00", f"${{{name}}}")
    return value, names


def _take_all(content: Any) -> list[tuple[JsonPath, list[str]]]:
    found: list[tuple[JsonPath, list[str]]] = []
    path: list[PathPart] = []

    def walk(node: Any) -> None:
        for key, value in node.items() if type(node) is dict else enumerate(node):
            kind = type(value)
            if kind is str:
                if "\x00" in value and _MARK.search(value):
                    node[key], names = _unmark(value)
                    found.append(((*path, key), names))
            elif kind is dict or kind is list:
                path.append(key)
                walk(value)
                path.pop()

    if isinstance(content, (dict, list)):
        walk(content)
    return found


def take_marks(content: Any) -> SecretPlaces:
    """Turn the marked references in a JSON document back into `${NAME}`, in place, and
    say where they were (by pointer)."""
    return sorted((to_pointer(path), names) for path, names in _take_all(content))


class MarkTaker:
    """take_marks for many documents of one shape (a fleet's manifests): the places found in
    the last document are tried first, and kept when they hold markers and no marker is left
    elsewhere (orjson tells that in 2 us); otherwise the document is walked."""

    def __init__(self) -> None:
        self._known: list[tuple[str, JsonPath]] = []

    def take(self, content: Any) -> SecretPlaces:
        found = self._take_known(content) if self._known else None
        if found is None:
            places = _take_all(content)
            self._known = sorted((to_pointer(path), path) for path, _ in places)
            found = sorted((to_pointer(path), names) for path, names in places)
        return found

    def _take_known(self, content: Any) -> SecretPlaces | None:
        slots = []
        for _, path in self._known:
            node = content
            try:
                for part in path[:-1]:
                    node = node[part]
                value = node[path[-1]]
            except (KeyError, IndexError, TypeError):
                return None
            if type(value) is not str or not _MARK.search(value):
                return None
            slots.append((node, path[-1], value))
        found: SecretPlaces = []
        for (pointer, _), (node, key, value) in zip(self._known, slots, strict=True):
            node[key], names = _unmark(value)
            found.append((pointer, names))
        if _holds_mark(content):  # more than last time: walk for the rest
            found = sorted(found + take_marks(content))
            self._known = []
        return found


def _holds_mark(content: Any) -> bool:
    try:
        return _MARK_JSON in orjson.dumps(content)
    except orjson.JSONEncodeError:  # an integer past 64 bits: look the slow way
        return True


def slot(content: Any, pointer: str) -> tuple[Any, Any]:
    """(container, key) of the string at an RFC 6901 pointer; LookupError when there is
    no string there."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    if not parts:
        raise LookupError(pointer)
    node = content
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
        if not isinstance(node[last], str):
            raise LookupError(pointer)
    except (TypeError, ValueError, IndexError, KeyError):
        raise LookupError(pointer) from None
    return node, last


def mark_places(content: Any, places: SecretPlaces) -> None:
    """Mark again, in place, the references at `places` (as take_marks recorded them)."""
    for pointer, names in places:
        node, last = slot(content, pointer)
        node[last] = mark_references(node[last], names)


def resolve_places(
    content: Any, places: SecretPlaces, environ: Mapping[str, str]
) -> tuple[Any, set[str], set[str]]:
    """A copy of `content` with the references at `places` resolved from `environ`, and
    `$${` there unescaped; nothing else changes. Returns (copy, unset names, values used)."""
    unset: set[str] = set()
    used: set[str] = set()
    copy = json.loads(json.dumps(content))

    def resolve(match: re.Match[str], names: Collection[str]) -> str:
        if match.group(1):  # `$${X}` stands for `${X}`
            return match.group(0)[1:]
        name = match.group(2)
        if name not in names:
            return match.group(0)
        if name not in environ:
            unset.add(name)
            return match.group(0)
        used.add(environ[name])
        return environ[name]

    for pointer, names in places:
        node, last = slot(copy, pointer)
        wanted = frozenset(names)
        node[last] = _ANY_REFERENCE.sub(partial(resolve, names=wanted), node[last])
    return copy, unset, used


_ANY_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


# --- the secrets file (`provision --secrets-out`, `--secrets-file`) ------------------------

_DOTENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def read_secrets_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines (dotenv: `#` comments, blank lines, optional `export ` and quotes).
    Raises UsageError naming the file and line; the value is never quoted in it."""
    from acr_edge_cli.errors import UsageError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the secrets file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the secrets file is not UTF-8 text") from None
    values: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOTENV_LINE.match(stripped)
        if match is None:
            raise UsageError(f"{path}:{number}: expected NAME=value")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def write_secrets_file(path: Path, values: Mapping[str, str]) -> None:
    """Add or replace `values` in a dotenv file, keeping its other lines; the file is
    written whole to a temporary file of mode 0600 beside it, then renamed over it."""
    from acr_edge_cli.errors import UsageError

    existing = read_secrets_file(path) if path.exists() else {}
    merged = {**existing, **values}
    for name, value in merged.items():
        if any(character in value for character in "\n\r'\""):
            raise UsageError(f"{path}: the value of {name} cannot be written as NAME=value")
    text = "".join(f"{name}={value}\n" for name, value in sorted(merged.items()))
    temporary = path.with_name(f".{path.name}.acr-edge-tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o600)  # a left-over temporary file keeps its mode otherwise
        temporary.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise UsageError(f"{path}: cannot write the secrets file ({error.strerror})") from None
