"""The one type every finding is reported as, from a YAML syntax error to a rule hit."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """Ordered so that max() over findings gives the worst one."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


PathPart = str | int
JsonPath = tuple[PathPart, ...]


def to_pointer(path: Sequence[PathPart]) -> str:
    """RFC 6901 JSON pointer for a path of keys and list indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def to_dotted(path: Sequence[PathPart]) -> str:
    """The same path as a person reads it: devices[0].connected_registry.name."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text


@dataclass(frozen=True)
class Diagnostic:
    """A finding: where it is (file, pointer, line, column), what it is and how bad."""

    file: str
    line: int | None
    column: int | None
    rule: str
    severity: Severity
    message: str
    pointer: str = ""

    def _sort_key(self) -> tuple[str, int, int, str, int, str, str]:
        # By place in the file; a finding without a line comes first in its file.
        return (
            self.file,
            self.line or 0,
            self.column or 0,
            self.rule,
            -self.severity,
            self.message,
            self.pointer,
        )

    def __lt__(self, other: Diagnostic) -> bool:
        return self._sort_key() < other._sort_key()

    def one_line(self) -> str:
        """`file:line:col: severity: message [rule]`, the form compilers and editors read."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.severity.label}: {self.message} [{self.rule}]"

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = {
            "rule": self.rule,
            "severity": self.severity.label,
            "message": self.message,
            "file": self.file,
            "pointer": self.pointer,
        }
        if self.line is not None:
            record["line"] = self.line
            if self.column is not None:
                record["column"] = self.column
        return record


def count_by_severity(diagnostics: Iterable[Diagnostic]) -> dict[Severity, int]:
    counts = dict.fromkeys(Severity, 0)
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    return counts
