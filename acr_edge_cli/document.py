"""The document every layer works on: parsed data that can say where each value came from.

The readers (loader.py) make them from YAML or JSON files; rendering makes them from
manifests in memory; rules and reports use them to put a line and column on a finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from acr_edge_cli.diagnostics import Diagnostic, JsonPath, PathPart, Severity, to_pointer

Position = tuple[int, int]  # 1-based line and column


@dataclass
class SourceDocument:
    """A parsed file: its data, and a way to find the line and column of any path in it."""

    path: str
    data: Any
    _value_at: Callable[[JsonPath], Position | None] = field(repr=False)
    _key_at: Callable[[JsonPath], Position | None] = field(repr=False)
    #: the file's text, when it was read from one (to quote a value as it was written)
    text: str | None = field(default=None, repr=False)
    #: for a view of the file (its content reshaped, see view()): a path of the view's data
    #: as a path of the file
    _to_source: Callable[[JsonPath], JsonPath] | None = field(default=None, repr=False)

    def view(self, data: Any, to_source: Callable[[JsonPath], JsonPath]) -> SourceDocument:
        """The same file seen as other data (the content of a wrapper, a layered deployment
        with its dot paths expanded): findings on the view point into the file."""

        def source(path: JsonPath) -> JsonPath:
            return self.source_path(to_source(path))

        return SourceDocument(self.path, data, self._value_at, self._key_at, self.text, source)

    def source_path(self, path: Sequence[PathPart]) -> JsonPath:
        """`path` of this document's data as a path of the file it was read from."""
        return self._to_source(tuple(path)) if self._to_source else tuple(path)

    def written_at(self, path: Sequence[PathPart]) -> str | None:
        """A scalar value's text as the file spells it (`1.10` where YAML read 1.1)."""
        position = self._value_at(self.source_path(path))
        if self.text is None or position is None:
            return None
        line = self.text.splitlines()[position[0] - 1] if position[0] >= 1 else ""
        token = re.match(r"[^\s,\]}#]+", line[position[1] - 1 :])
        return token.group(0) if token else None

    def locate(self, path: Sequence[PathPart], *, key: bool = False) -> Position | None:
        """Where the value at `path` starts (or its key, with key=True).

        Falls back to the nearest enclosing value that exists, so a missing key points at
        the mapping that should hold it.
        """
        parts = self.source_path(path)
        if key and parts:
            found = self._key_at(parts)
            if found is not None:
                return found
        while True:
            found = self._value_at(parts)
            if found is not None or not parts:
                return found
            parts = parts[:-1]

    def diagnostic(
        self,
        path: Sequence[PathPart],
        message: str,
        *,
        rule: str = "input",
        severity: Severity = Severity.ERROR,
        key: bool = False,
    ) -> Diagnostic:
        position = self.locate(path, key=key)
        return Diagnostic(
            file=self.path,
            line=position[0] if position else None,
            column=position[1] if position else None,
            rule=rule,
            severity=severity,
            message=message,
            pointer=to_pointer(self.source_path(path)),
        )


def walk_strings(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """Every string in a JSON value with its path; iterative, so no depth breaks it."""
    stack: list[tuple[Any, JsonPath]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            stack.extend((item, (*where, key)) for key, item in node.items())
        elif isinstance(node, list):
            stack.extend((item, (*where, index)) for index, item in enumerate(node))
