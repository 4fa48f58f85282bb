"""Which rules run and which findings fail a run: `--disable` and `--strict`, resolved once
and asked everywhere (the engine, generate's decision to write, every exit code)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from acr_edge_cli.diagnostics import Diagnostic
from acr_edge_cli.errors import EXIT_OK, exit_code


@dataclass(frozen=True)
class RuleSelection:
    disabled: frozenset[str] = frozenset()
    strict: bool = False

    @classmethod
    def from_options(cls, disable: Iterable[str] = (), *, strict: bool = False) -> RuleSelection:
        """The selection the options ask for; an unknown rule name is a usage error."""
        from acr_edge_cli import rules

        names = frozenset(disable)
        for name in sorted(names):
            rules.get(name)
        return cls(names, strict)

    def runs(self, rule: str) -> bool:
        return rule not in self.disabled

    def exit_code(self, diagnostics: Collection[Diagnostic]) -> int:
        return exit_code(diagnostics, strict=self.strict)

    def allows_writing(self, diagnostics: Collection[Diagnostic]) -> bool:
        return self.exit_code(diagnostics) == EXIT_OK


#: Every rule, failing on errors only.
DEFAULT = RuleSelection()
