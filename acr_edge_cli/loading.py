"""A hierarchy file to its model and plan: read, resolve `${NAME}`, validate, plan.

Nothing here prints or exits; errors are AcrEdgeErrors that carry their exit code.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from acr_edge_cli.document import SourceDocument
from acr_edge_cli.errors import InputError
from acr_edge_cli.loader import load_file

# The model is imported where it is used: a hierarchy file's YAML is parsed meanwhile (see
# start_imports_while_parsing).
if TYPE_CHECKING:
    from acr_edge_cli.model import Hierarchy
    from acr_edge_cli.plan import HierarchyPlan


@dataclass(frozen=True)
class LoadedHierarchy:
    document: SourceDocument  # as written: references unresolved, for locations and secrets
    hierarchy: Hierarchy
    plan: HierarchyPlan


def _check_structure(hierarchy: Hierarchy, plan: HierarchyPlan, document: SourceDocument) -> None:
    """What the format requires across keys (docs/hierarchy.md), as input errors."""
    problems = []
    if hierarchy.cloud_registry.data_endpoint is None:
        first = next((d for d in plan.devices if d.is_top and d.registry is not None), None)
        if first is not None:
            problems.append(
                document.diagnostic(
                    ("cloud_registry",),
                    "cloud_registry: missing required key 'data_endpoint' (the top-layer "
                    f"connected registry on {first.id!r} syncs from it)",
                )
            )
    for device in plan.devices:
        if device.id in (".", ".."):
            problems.append(
                document.diagnostic(
                    (*device.source, "id"), f"device id {device.id!r} cannot name a folder"
                )
            )
    if problems:
        raise InputError(problems)


def _import_what_follows_loading(also: Collection[str]) -> None:
    import acr_edge_cli.model
    import acr_edge_cli.render
    import acr_edge_cli.rules.engine  # noqa: F401

    for name in also:
        importlib.import_module(name)


_importing: threading.Thread | None = None


def start_imports_while_parsing(also: Collection[str] = ()) -> None:
    """Import what a hierarchy needs after parsing (pydantic and jinja2: 0.3 s), and the
    modules `also` names, on a thread: the YAML parser releases the GIL, so both proceed at
    once. Importing them again waits for the thread. A daemon: an input error exits
    without waiting for it."""
    global _importing
    _importing = threading.Thread(target=_import_what_follows_loading, args=(also,), daemon=True)
    _importing.start()


def wait_for_imports() -> None:
    """Forking copies only the calling thread: let the import thread end first."""
    if _importing is not None:
        _importing.join()


def load_hierarchy(
    path: Path,
    *,
    environ: Mapping[str, str],
    inline_secrets: bool = False,
    display: str | None = None,
    import_meanwhile: Collection[str] = (),
) -> LoadedHierarchy:
    """Load, model and plan a hierarchy file. `import_meanwhile`: modules the caller needs
    next, imported while the file is parsed."""
    start_imports_while_parsing(import_meanwhile)
    document = load_file(path, display)
    return read_hierarchy(document, environ=environ, inline_secrets=inline_secrets)


def read_hierarchy(
    document: SourceDocument, *, environ: Mapping[str, str], inline_secrets: bool = False
) -> LoadedHierarchy:
    """The model and plan of a loaded hierarchy file (references resolved per the spec)."""
    from acr_edge_cli.model import parse_hierarchy
    from acr_edge_cli.plan import plan_hierarchy
    from acr_edge_cli.references import resolve_references

    resolved = resolve_references(document, environ, inline_secrets=inline_secrets)
    hierarchy = parse_hierarchy(resolved)
    plan = plan_hierarchy(hierarchy, marks_secrets=not inline_secrets)
    _check_structure(hierarchy, plan, document)
    return LoadedHierarchy(document, hierarchy, plan)
