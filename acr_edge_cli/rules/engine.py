"""Run the rule catalog over manifests and hierarchies, and locate every finding."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from acr_edge_cli.diagnostics import Diagnostic, JsonPath
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.file_kinds import (
    CONTENT_KEYS,
    FileKind,
    Kind,
    layered_view,
    manifest_view,
    template_view,
)
from acr_edge_cli.plan import DevicePlan, HierarchyPlan
from acr_edge_cli.rules import ALL_RULES
from acr_edge_cli.rules.base import Finding, Rule
from acr_edge_cli.rules.contexts import (
    ConfigurationContext,
    HierarchyContext,
    ManifestContext,
    OutputContext,
)
from acr_edge_cli.rules.selection import DEFAULT, RuleSelection


def _diagnostics(
    rule: Rule, findings: Iterable[Finding], document: SourceDocument
) -> list[Diagnostic]:
    found = []
    try:
        for finding in findings:
            found.append(
                (finding.document or document).diagnostic(
                    finding.path,
                    finding.message,
                    rule=rule.name,
                    severity=finding.severity or rule.severity,
                    key=finding.on_key,
                )
            )
    except Exception as error:  # a rule must never turn odd input into a traceback
        found.append(
            document.diagnostic(
                (),
                f"{rule.name} could not check this document ({type(error).__name__}); "
                "please report it with the file",
                rule=rule.name,
            )
        )
    return found


def _without_schema_duplicates(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop a schema finding where a catalog rule reported the same place (rules.md: a
    problem the catalog names is reported under that rule)."""
    named = {d.pointer for d in diagnostics if d.rule != "schema"}
    return [d for d in diagnostics if d.rule != "schema" or d.pointer not in named]


def check_manifest(
    document: SourceDocument,
    *,
    device: DevicePlan | None = None,
    hierarchy: HierarchyPlan | None = None,
    rules: RuleSelection = DEFAULT,
    generated: bool = False,
    in_folder: bool = False,
    template: bool = False,
    partial: bool = False,
    stringified: frozenset[JsonPath] = frozenset(),
) -> list[Diagnostic]:
    """Schema and manifest rules for one manifest (for template, partial and stringified
    see ManifestContext).

    For a manifest generated from a hierarchy (`device` given, or `generated`), rules that
    also check hierarchies are skipped: they already reported at the hierarchy's own lines.
    For one of a generated folder (`in_folder`), rules that check the folder as a whole are
    skipped: check_output reports them.
    """
    generated = generated or device is not None
    context = ManifestContext(document, device, hierarchy, template, partial, stringified)
    found: list[Diagnostic] = []
    for rule in _manifest_rules(generated, in_folder, rules):
        found.extend(_diagnostics(rule, rule.check("manifest", context), document))
    return sorted(_without_schema_duplicates(found)) if found else found


@functools.cache
def _manifest_rules(generated: bool, in_folder: bool, rules: RuleSelection) -> tuple[Rule, ...]:
    """The rules check_manifest runs, chosen once rather than for each of thousands."""
    return tuple(
        rule
        for rule in ALL_RULES
        if "manifest" in rule.scopes
        and rules.runs(rule.name)
        and not (generated and "hierarchy" in rule.scopes)
        and not (in_folder and rule.checks_output)
    )


def check_configuration(
    document: SourceDocument,
    *,
    position: int = 0,
    total: int = 1,
    rules: RuleSelection = DEFAULT,
    generated: bool = False,
    standalone: bool = False,
    template: bool = False,
    stringified: frozenset[JsonPath] = frozenset(),
) -> list[Diagnostic]:
    """Configuration rules for one IoT Hub configuration document (`standalone`: a layered
    deployment's content without the configuration's own keys, always under `content`);
    its modules and routes are also checked as a manifest, a partial one when layered."""
    context = ConfigurationContext(document, position, total, standalone)
    found: list[Diagnostic] = []
    for rule in ALL_RULES:
        if "configuration" in rule.scopes and rules.runs(rule.name):
            found.extend(_diagnostics(rule, rule.check("configuration", context), document))
    content = context.content.get("content")
    key = next((k for k in CONTENT_KEYS if isinstance(content, dict) and k in content), None)
    if isinstance(content, dict) and key is not None and isinstance(content[key], dict):
        inner = manifest_view(document, FileKind(Kind.CONFIGURATION, ("content",), key))
        layered = context.is_layered
        found += check_manifest(
            layered_view(inner) if layered else inner,
            rules=rules,
            generated=generated,
            template=template,
            partial=layered,
            stringified=stringified,
        )
    return sorted(_without_schema_duplicates(found))


def check_file(
    document: SourceDocument, kind: FileKind, *, rules: RuleSelection = DEFAULT
) -> list[Diagnostic]:
    """Checks for one file of any manifest kind but a configuration (checked with the
    others of its hub, check_configuration): what that kind requires."""
    template = kind.kind is Kind.TEMPLATE
    stringified: frozenset[JsonPath] = frozenset()
    if template:
        document, stringified = template_view(document)
    manifest = manifest_view(document, kind)
    if kind.layered:
        # checked as a layered deployment on its own, with its content under `content`
        wrapped = manifest.view({"content": manifest.data}, lambda path: path[1:])
        return check_configuration(
            wrapped, rules=rules, standalone=True, template=template, stringified=stringified
        )
    return check_manifest(manifest, rules=rules, template=template, stringified=stringified)


def check_hierarchy(
    document: SourceDocument, plan: HierarchyPlan, *, rules: RuleSelection = DEFAULT
) -> list[Diagnostic]:
    """Hierarchy rules for one hierarchy file (`document` as written, references unresolved)."""
    context = HierarchyContext(document, plan)
    found: list[Diagnostic] = []
    for rule in ALL_RULES:
        if "hierarchy" in rule.scopes and rules.runs(rule.name):
            found.extend(_diagnostics(rule, rule.check("hierarchy", context), document))
    return sorted(found)


def check_nginx(
    file: str, content: Any, parent_host: str | None, tools: Any, *, rules: RuleSelection = DEFAULT
) -> list[Diagnostic]:
    """The rules that run programs on a manifest's API proxy (validate --nginx)."""
    from acr_edge_cli.rules.nginx import NginxContext

    context = NginxContext(content, parent_host, tools)
    document = SourceDocument(file, content, lambda path: None, lambda path: None)
    found: list[Diagnostic] = []
    for rule in ALL_RULES:
        if "nginx" in rule.scopes and rules.runs(rule.name):
            found.extend(_diagnostics(rule, rule.check("nginx", context), document))
    return sorted(found)


def check_output(output: OutputContext, *, rules: RuleSelection = DEFAULT) -> list[Diagnostic]:
    """The hierarchy rules that can be read off a generated folder's manifests."""
    found: list[Diagnostic] = []
    for rule in ALL_RULES:
        if rule.checks_output and rules.runs(rule.name):
            found.extend(_diagnostics(rule, rule.check("output", output), output.index))
    return sorted(found)
