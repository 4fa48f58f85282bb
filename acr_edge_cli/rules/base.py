"""What a rule module provides: NAME, SEVERITY, SUMMARY, a docstring that explains the rule
and ends with its fix, and one check function per scope it checks (check_manifest,
check_hierarchy, check_configuration, check_nginx; check_output for a generated folder;
check_fleet for a check across devices, which runs on hierarchies and generated folders).
What those functions receive is in contexts.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from acr_edge_cli.diagnostics import JsonPath, Severity
from acr_edge_cli.document import SourceDocument

Scope = Literal["manifest", "hierarchy", "configuration", "nginx"]
#: What a rule module may check, each through its own function: check_manifest(context) ...
SCOPES: tuple[Scope, ...] = ("manifest", "hierarchy", "configuration", "nginx")


@dataclass(frozen=True)
class Finding:
    """A rule's hit: where in the checked document (or in `document`, for checks that span
    files), what, and a severity if not the default."""

    path: JsonPath
    message: str
    severity: Severity | None = None
    on_key: bool = False
    document: SourceDocument | None = None


@dataclass(frozen=True)
class Rule:
    """A rule as the engine and `acr-edge rules` see it, read from its module."""

    name: str
    severity: Severity
    scopes: tuple[Scope, ...]
    summary: str
    explanation: str
    module: ModuleType

    @classmethod
    def from_module(cls, module: ModuleType) -> Rule:
        return cls(
            name=module.NAME,
            severity=module.SEVERITY,
            scopes=tuple(
                s
                for s in SCOPES
                if hasattr(module, f"check_{s}")
                or (s == "hierarchy" and hasattr(module, "check_fleet"))
            ),
            summary=module.SUMMARY,
            explanation=" ".join((module.__doc__ or "").split()),
            module=module,
        )

    def check(self, scope: Scope | Literal["output"], context: Any) -> Iterator[Finding]:
        """The findings of the module's check for one scope (output: a generated folder).

        A rule across devices checks the fleet (check_fleet): the devices of a hierarchy
        file or of a generated folder, read the same way (contexts.FleetDevice)."""
        fleet_check = getattr(self.module, "check_fleet", None)
        if fleet_check is not None and scope in ("hierarchy", "output"):
            fleet_findings: Iterator[Finding] = fleet_check(context.fleet)
            return fleet_findings
        result: Iterator[Finding] = getattr(self.module, f"check_{scope}")(context)
        return result

    @property
    def checks_output(self) -> bool:
        """Whether the rule can check a generated folder (index.json and its manifests)."""
        return hasattr(self.module, "check_output") or hasattr(self.module, "check_fleet")


def rule_modules_of(*modules: ModuleType) -> tuple[Rule, ...]:
    return tuple(Rule.from_module(module) for module in modules)
