"""Errors that stop a command before any check runs; each carries its exit code."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from acr_edge_cli.diagnostics import Diagnostic, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_HUB = 3


def exit_code(diagnostics: Collection[Diagnostic], *, strict: bool = False) -> int:
    """0, or 1 for findings of severity error (with strict: warning too), or 2 for input."""
    # an `input` note (a file skipped as not a manifest) is no error
    if any(d.rule == "input" and d.severity is Severity.ERROR for d in diagnostics):
        return EXIT_INPUT
    threshold = Severity.WARNING if strict else Severity.ERROR
    return EXIT_FINDINGS if any(d.severity >= threshold for d in diagnostics) else EXIT_OK


class AcrEdgeError(Exception):
    """Base of the errors a command turns into a message and an exit code."""

    exit_code = EXIT_INPUT


class InputError(AcrEdgeError):
    """Input that cannot be read as what it claims to be (exit 2).

    It carries one Diagnostic per problem, so every problem found while loading is shown
    at once, each on its own line with file, line and column.
    """

    exit_code = EXIT_INPUT

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        if not diagnostics:  # an input error always says what is wrong
            raise ValueError("InputError needs at least one diagnostic")
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.one_line() for d in self.diagnostics))


class UsageError(AcrEdgeError):
    """A command line or an output folder that the command refuses to work with (exit 2)."""

    exit_code = EXIT_INPUT


class TemplateError(AcrEdgeError):
    """A template that cannot be rendered (a user template's fault, or a refused operation)."""

    exit_code = EXIT_INPUT
