"""`${NAME}` references to environment variables in hierarchy files.

Secret fields keep their references in generated output (so it can be committed and
reviewed) unless inlining is asked for; every other reference is resolved when loading.
`$$` before `{` escapes a literal `${`. `$upstream`, `$edgeHub`, `$IOTEDGE_PARENTHOSTNAME`
and the like have no braces and are never touched.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from acr_edge_cli.diagnostics import Diagnostic, JsonPath, PathPart
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.errors import InputError
from acr_edge_cli.secrets import is_secret_path

REFERENCE = re.compile(r"\$(\$?)\{([^}]*)\}")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute(value: str, environ: Mapping[str, str]) -> tuple[str, list[str], list[str]]:
    """Resolve the references in one string: (result, unset names, malformed references)."""
    unset: list[str] = []
    malformed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1):  # `$${X}` stays `${X}`
            return match.group(0)[1:]
        name = match.group(2)
        if not NAME.fullmatch(name):
            malformed.append(match.group(0))
            return match.group(0)
        if name not in environ:
            unset.append(name)
            return match.group(0)
        return environ[name]

    if "${" not in value:
        return value, unset, malformed
    whole = REFERENCE.fullmatch(value)
    if whole and not whole.group(1) and NAME.fullmatch(whole.group(2)):
        # the usual form, `${NAME}` alone, without a substitution pass
        name = whole.group(2)
        return (environ[name], unset, malformed) if name in environ else (value, [name], [])
    return REFERENCE.sub(replace, value), unset, malformed


#: Deeper nesting is refused: serialising it would fail later (orjson stops at 255 levels),
#: and no hierarchy needs a tenth of it.
MAX_NESTING = 200

#: Numbers past 4,300 digits are refused, as Python's int conversion refuses them (and no
#: twin property is that long); this many bits is a little under that.
MAX_INT_BITS = 14_000
TOO_LONG_NUMBER = "a number of more than 4300 digits, which JSON readers refuse"


class _Unusable(Exception):
    """A value no manifest can carry, found by the walk for references (which visits every
    value anyway): nesting past MAX_NESTING, or a float JSON cannot write."""

    def __init__(self, path: JsonPath, problem: str, *, on_key: bool) -> None:
        self.path = path
        self.problem = problem
        self.on_key = on_key  # located at the key (else at the value)


def _find_references(data: Any) -> list[tuple[JsonPath, str]]:
    """Every string holding `${`, with its path; _Unusable for what a manifest cannot hold.

    Recursive, with one shared path list: a third faster than a stack of paths, and the
    depth it can reach is bounded by the check.
    """
    found: list[tuple[JsonPath, str]] = []
    path: list[PathPart] = []

    def walk(node: Any) -> None:
        if len(path) >= MAX_NESTING:
            deep = f"nested more than {MAX_NESTING} levels deep"
            raise _Unusable(tuple(path), deep, on_key=isinstance(path[-1], str))
        for key, value in node.items() if type(node) is dict else enumerate(node):
            kind = type(value)
            if kind is str:
                if "${" in value:
                    found.append(((*path, key), value))
            elif kind is dict or kind is list:
                path.append(key)
                walk(value)
                path.pop()
            elif kind is int and value.bit_length() > MAX_INT_BITS:
                raise _Unusable((*path, key), TOO_LONG_NUMBER, on_key=False)
            elif kind is float and not math.isfinite(value):
                # YAML's .nan and .inf: JSON has neither (orjson would write null)
                name = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
                raise _Unusable((*path, key), f"{name} is not a JSON value", on_key=False)

    walk(data)
    return found


def _with_values(data: Any, changes: list[tuple[JsonPath, str]]) -> Any:
    """A copy of `data` with the changed strings; only containers on a changed path are
    copied, the rest is shared (the loaded document stays as written)."""
    copies: dict[int, Any] = {}

    def copied(node: Any) -> Any:
        clone = copies.get(id(node))
        if clone is None:
            clone = copies[id(node)] = dict(node) if type(node) is dict else list(node)
        return clone

    root = copied(data)
    for path, value in changes:
        node = root
        for part in path[:-1]:
            child = copied(node[part])
            node[part] = child
            node = child
        node[path[-1]] = value
    return root


def resolve_references(
    document: SourceDocument, environ: Mapping[str, str], *, inline_secrets: bool
) -> SourceDocument:
    """A copy of the document with references resolved; every unset one is an input error."""
    if not isinstance(document.data, (dict, list)):
        return document
    problems: list[Diagnostic] = []
    changes: list[tuple[JsonPath, str]] = []
    environ = dict(environ)  # os.environ encodes every key it is asked for
    try:
        references = _find_references(document.data)
    except _Unusable as error:
        message = f"{error.path[-1]}: {error.problem}"
        raise InputError([document.diagnostic(error.path, message, key=error.on_key)]) from None
    for path, value in references:
        secret = is_secret_path(path)
        result, unset, malformed = substitute(value, environ)
        for text in malformed:
            problems.append(
                document.diagnostic(
                    path, f"{text} is not a reference: names are letters, digits and '_'"
                )
            )
        if secret and not inline_secrets:
            continue  # kept as written (the plan marks it: secrets.mark_references)
        for name in unset:
            what = "secret " if secret else ""
            problems.append(
                document.diagnostic(
                    path, f"environment variable {name} is not set ({what}reference ${{{name}}})"
                )
            )
        if result != value:
            changes.append((path, result))
    if problems:
        raise InputError(sorted(problems))
    if not changes:
        return document
    return dataclasses.replace(document, data=_with_values(document.data, changes))
