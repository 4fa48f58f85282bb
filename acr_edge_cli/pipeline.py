"""The library behind the commands: load → model → plan → render → check, then write.

Nothing here prints or exits; every function returns results (or raises an AcrEdgeError
that carries its exit code). The CLI layer only parses options and reports.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from acr_edge_cli import __version__
from acr_edge_cli.diagnostics import Diagnostic, Severity
from acr_edge_cli.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, InputError
from acr_edge_cli.loader import SourceDocument, json_locators, load_file, reread_json
from acr_edge_cli.output import (
    INDEX_NAME,
    OutputIndex,
    StagedOutput,
    configuration_path,
    index_document,
    manifest_path,
    read_index,
    write_tree,
)
from acr_edge_cli.secrets import MarkTaker, SecretPlaces, mark_places, take_marks
from acr_edge_cli.workers import default_workers, in_chunks

# The rules and the model are imported where they are used: a hierarchy file's YAML is
# parsed meanwhile (see _start_imports_while_parsing).
if TYPE_CHECKING:
    from acr_edge_cli.model import Hierarchy
    from acr_edge_cli.plan import DevicePlan, HierarchyPlan
    from acr_edge_cli.proxyconfig import NginxTools
    from acr_edge_cli.render import Renderer


def exit_code(diagnostics: Collection[Diagnostic], *, strict: bool = False) -> int:
    """0, or 1 for findings of severity error (with strict: warning too), or 2 for input."""
    if any(d.rule == "input" for d in diagnostics):
        return EXIT_INPUT
    threshold = Severity.WARNING if strict else Severity.ERROR
    return EXIT_FINDINGS if any(d.severity >= threshold for d in diagnostics) else EXIT_OK


def serialize_json(content: Mapping[str, Any]) -> bytes:
    """The bytes written for a manifest or the index: key order kept, two-space indent, UTF-8
    (byte for byte what json.dumps(indent=2, ensure_ascii=False) gives, only faster)."""
    try:
        return orjson.dumps(content, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits, which orjson refuses
        return (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- loading a hierarchy ------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedHierarchy:
    document: SourceDocument  # as written: references unresolved, for locations and secrets
    hierarchy: Hierarchy
    plan: HierarchyPlan


def _check_structure(hierarchy: Hierarchy, plan: HierarchyPlan, document: SourceDocument) -> None:
    """What the format requires across keys (shared/spec/hierarchy.md), as input errors."""
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
    import acr_edge_cli.validation.engine  # noqa: F401

    for name in also:
        importlib.import_module(name)


_importing: threading.Thread | None = None


def _start_imports_while_parsing(also: Collection[str] = ()) -> None:
    """Import what a hierarchy needs after parsing (pydantic and jinja2: 0.3 s), and the
    modules `also` names, on a thread: the YAML parser releases the GIL, so both proceed at
    once. Importing them again waits for the thread. A daemon: an input error exits
    without waiting for it."""
    global _importing
    _importing = threading.Thread(target=_import_what_follows_loading, args=(also,), daemon=True)
    _importing.start()


def _no_other_thread() -> None:
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
    _start_imports_while_parsing(import_meanwhile)
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


# --- generate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedManifest:
    device: DevicePlan
    path: str  # relative to the output folder
    data: bytes
    sha256: str  # of data, for the index (computed by the worker that rendered it)
    secrets: SecretPlaces = field(default_factory=list)  # where it keeps ${NAME} secrets


@dataclass(frozen=True)
class GenerateResult:
    source: str
    hierarchy: Hierarchy
    manifests: tuple[GeneratedManifest, ...]
    diagnostics: tuple[Diagnostic, ...]
    #: with --as configurations: the documents, and the twin tags that target them
    configurations: tuple[dict[str, Any], ...] = ()
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the manifests are already in the StagedOutput given to generate()
    streamed: bool = False

    #: with --as configurations: where each configuration keeps ${NAME} secrets
    configuration_secrets: tuple[SecretPlaces, ...] = ()

    @property
    def as_configurations(self) -> bool:
        return bool(self.configurations)

    def index(self) -> dict[str, Any]:
        def parent(m: GeneratedManifest) -> str | None:
            return m.device.parent.id if m.device.parent else None

        generator = f"acr-edge {__version__}"
        if self.as_configurations:
            return index_document(
                self.hierarchy.name,
                generator,
                [
                    {"id": m.device.id, "parent": parent(m), "layer": m.device.layer,
                     "tags": self.tags[m.device.id]}
                    for m in self.manifests
                ],
                [
                    {"id": c["id"], "file": configuration_path(c["id"]), "priority": c["priority"],
                     "sha256": hashlib.sha256(serialize_json(c)).hexdigest(), "secrets": places}
                    for c, places in zip(self.configurations, self.configuration_secrets,
                                         strict=True)
                ],
            )  # fmt: skip
        return index_document(
            self.hierarchy.name,
            generator,
            [
                {"id": m.device.id, "parent": parent(m), "layer": m.device.layer,
                 "manifest": m.path, "sha256": m.sha256, "secrets": m.secrets}
                for m in self.manifests
            ],
        )  # fmt: skip

    def files(self) -> dict[str, bytes]:
        """Every file of the output folder: relative path → bytes."""
        return {**self.content_files(), INDEX_NAME: serialize_json(self.index())}

    def content_files(self) -> dict[str, bytes]:
        """The manifests, or with --as configurations the configurations."""
        if self.as_configurations:
            return {configuration_path(c["id"]): serialize_json(c) for c in self.configurations}
        return {m.path: m.data for m in self.manifests}


@dataclass(frozen=True)
class _RenderJob:
    loaded: LoadedHierarchy
    manifest_file: Callable[[str], str]
    renderer: Renderer  # its template compiled once, before the workers fork
    disabled: Collection[str]


#: device index, manifest bytes, their SHA-256, where secrets are, findings
RenderedDevice = tuple[int, bytes, str, SecretPlaces, list[Diagnostic]]


def _render(job: _RenderJob, start: int, stop: int) -> list[RenderedDevice]:
    """Render, serialize and check devices[start:stop] of a job."""
    from acr_edge_cli.validation import engine

    renderer = job.renderer
    plan = job.loaded.plan
    marks = MarkTaker()
    results = []
    for index in range(start, stop):
        device = plan.devices[index]
        rendered = renderer.render(device, plan)
        secrets = marks.take(rendered.content)
        data = serialize_json(rendered.content)
        # Lines are those of the bytes written, located only if a finding needs them.
        value_at, key_at = json_locators(data.decode("utf-8"))
        name = job.manifest_file(manifest_path(device.layer, device.id))
        document = SourceDocument(name, rendered.content, value_at, key_at)
        findings = engine.check_manifest(
            document, device=device, hierarchy=plan, disabled=job.disabled
        )
        results.append((index, data, hashlib.sha256(data).hexdigest(), secrets, findings))
    return results


RenderResults = Iterator[tuple[GeneratedManifest, list[Diagnostic]]]


@contextmanager
def rendering(
    loaded: LoadedHierarchy,
    *,
    manifest_file: Callable[[str], str],
    templates: Path | None = None,
    disabled: Collection[str] = (),
    workers: int | None = None,
) -> Iterator[RenderResults]:
    """Start rendering and checking every device's manifest; `manifest_file(relative)` names
    it in findings. Gives each manifest with its findings, in device order.

    Large fleets are split over forked worker processes (see workers.in_chunks); the result is the
    same whatever the number of workers.
    """
    from acr_edge_cli.render import Renderer

    devices = loaded.plan.devices
    count = len(devices)
    processes = workers if workers is not None else default_workers(count)
    job = _RenderJob(loaded, manifest_file, Renderer(templates), disabled)

    def results(batches: Iterable[list[RenderedDevice]]) -> RenderResults:
        for batch in batches:
            for index, data, digest, secrets, findings in batch:
                device = devices[index]
                path = manifest_path(device.layer, device.id)
                yield GeneratedManifest(device, path, data, digest, secrets), findings

    with in_chunks(_render, job, count, processes, before_fork=_no_other_thread) as batches:
        yield results(batches)


def generate(
    path: Path,
    *,
    output: str,
    environ: Mapping[str, str],
    inline_secrets: bool = False,
    templates: Path | None = None,
    disabled: Collection[str] = (),
    display: str | None = None,
    as_configurations: bool = False,
    staged: StagedOutput | None = None,
    strict: bool = False,
    import_meanwhile: Collection[str] = (),
) -> GenerateResult:
    """Everything `generate` would write, and every finding.

    Writes nothing, unless `staged` is given: then each manifest is added to it as it
    arrives (when the hierarchy's own findings do not already block writing, by `strict`),
    and finish_generated completes it. With `as_configurations`, the per-device manifests
    are the input of IoT Hub automatic deployments (configurations.py), which are what is
    written and checked. `import_meanwhile`: as for load_hierarchy.
    """
    from acr_edge_cli.validation import engine

    loaded = load_hierarchy(
        path,
        environ=environ,
        inline_secrets=inline_secrets,
        display=display,
        import_meanwhile=import_meanwhile,
    )
    out = output.rstrip("/")
    manifests: list[GeneratedManifest] = []
    with rendering(
        loaded,
        manifest_file=(
            (lambda relative: f"{loaded.document.path}#{relative}")
            if as_configurations
            else (lambda relative: f"{out}/{relative}")
        ),
        templates=templates,
        disabled=disabled,
    ) as results:
        # Checked while the workers render.
        diagnostics = engine.check_hierarchy(loaded.document, loaded.plan, disabled=disabled)
        stream = (
            staged is not None
            and not as_configurations
            and exit_code(diagnostics, strict=strict) == EXIT_OK
        )
        for manifest, findings in results:
            if stream:
                assert staged is not None
                staged.add(manifest.path, manifest.data)
            manifests.append(manifest)
            diagnostics.extend(findings)
    if not as_configurations:
        return GenerateResult(
            loaded.document.path,
            loaded.hierarchy,
            tuple(manifests),
            tuple(diagnostics),
            streamed=stream,
        )
    from acr_edge_cli.configurations import DeviceManifest, build_configurations

    devices = []
    for m in manifests:
        content = orjson.loads(m.data)
        mark_places(content, m.secrets)  # to know where they land in the deployments
        devices.append(
            DeviceManifest(
                m.device.id,
                m.device.parent.id if m.device.parent else None,
                m.device.layer,
                dict(m.device.device.tags),
                content["modulesContent"],
            )
        )
    documents, tags = build_configurations(loaded.hierarchy.name, devices)
    secrets = []
    for position, document in enumerate(documents):
        secrets.append(take_marks(document))
        data = serialize_json(document)
        value_at, key_at = json_locators(data.decode("utf-8"))
        name = f"{out}/{configuration_path(document['id'])}"
        diagnostics.extend(
            engine.check_configuration(
                SourceDocument(name, document, value_at, key_at),
                position=position,
                total=len(documents),
                disabled=disabled,
                generated=True,
            )
        )
    return GenerateResult(
        loaded.document.path,
        loaded.hierarchy,
        tuple(manifests),
        tuple(diagnostics),
        tuple(documents),
        tags,
        configuration_secrets=tuple(secrets),
    )


def write_generated(result: GenerateResult, out: Path, *, force: bool = False) -> None:
    """Replace `out` with the result's files."""
    write_tree(out, result.files(), force=force)


def finish_generated(result: GenerateResult, staged: StagedOutput) -> None:
    """Add what generate(staged=...) has not written yet, then replace OUT with it."""
    files = {} if result.streamed else result.content_files()
    files[INDEX_NAME] = serialize_json(result.index())
    for relative, data in files.items():
        staged.add(relative, data)
    staged.commit()


# --- validate -----------------------------------------------------------------------------


@dataclass
class ValidateResult:
    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: with collect_proxies: (file, manifest content, parent host) of every checked
    #: manifest, for `nginx -t` on what its API proxy would run
    collect_proxies: bool = False
    proxies: list[tuple[str, Any, str | None]] = field(default_factory=list)


def _kind(path: Path, document: SourceDocument) -> str:
    """hierarchy, manifest or configuration: by extension, then by the top-level keys."""
    data = document.data
    if path.suffix.lower() != ".json":
        return "hierarchy"
    if isinstance(data, dict) and "modulesContent" not in data:
        if "devices" in data:
            return "hierarchy"
        if "content" in data and ("id" in data or "targetCondition" in data):
            return "configuration"
    return "manifest"


def _validate_hierarchy(
    document: SourceDocument,
    environ: Mapping[str, str],
    disabled: Collection[str],
    result: ValidateResult,
) -> None:
    from acr_edge_cli.validation import engine

    loaded = read_hierarchy(document, environ=environ)
    display = document.path
    with rendering(
        loaded, manifest_file=lambda relative: f"{display}#{relative}", disabled=disabled
    ) as results:
        # Checked while the workers render.
        result.diagnostics.extend(
            engine.check_hierarchy(loaded.document, loaded.plan, disabled=disabled)
        )
        for manifest, findings in results:
            result.diagnostics.extend(findings)
            if result.collect_proxies:
                parent = manifest.device.parent
                host = (parent.device.hostname or parent.id) if parent else None
                content = orjson.loads(manifest.data)
                result.proxies.append((f"{display}#{manifest.path}", content, host))


@dataclass(frozen=True)
class _FilesJob:
    paths: list[Path]
    disabled: Collection[str]


def _check_manifest_files(job: _FilesJob, start: int, stop: int) -> list[list[Diagnostic]]:
    """The findings of each of paths[start:stop], read and checked as manifests."""
    from acr_edge_cli.validation import engine

    found = []
    for path in job.paths[start:stop]:
        try:
            document = load_file(path, str(path))
        except InputError as error:
            found.append(list(error.diagnostics))
            continue
        found.append(engine.check_manifest(document, disabled=job.disabled, in_folder=True))
    return found


def _validate_output(
    folder: Path, index: OutputIndex, result: ValidateResult, disabled: Collection[str]
) -> None:
    """A generated folder: each manifest, then the hierarchy rules read off the manifests.

    Large folders are checked by forked workers, manifest by manifest, while this process
    reads every manifest again for the rules that look across them (reading is a tenth of
    checking).
    """
    from acr_edge_cli.rules.base import ManifestContext, OutputContext, OutputDevice
    from acr_edge_cli.validation import engine

    entries = index.devices
    paths = [index.path(entry.manifest or "") for entry in entries]
    devices: list[OutputDevice] = []
    job = _FilesJob(paths, disabled)
    workers = default_workers(len(paths))
    with in_chunks(
        _check_manifest_files, job, len(paths), workers, before_fork=_no_other_thread
    ) as batches:
        checked = (findings for batch in batches for findings in batch)
        for entry, path, findings in zip(entries, paths, checked, strict=True):
            result.files.append(str(path))
            result.diagnostics.extend(findings)
            if any(finding.rule == "input" for finding in findings):
                continue  # unreadable, and reported
            try:
                document = reread_json(path, str(path))
            except InputError:
                continue  # changed since the check read it
            if result.collect_proxies:
                result.proxies.append((str(path), document.data, entry.parent))
            context = ManifestContext(document)
            context.all_modules()  # for check_output, made while the workers still check
            devices.append(
                OutputDevice(
                    id=entry.id,
                    parent=entry.parent,
                    layer=entry.layer,
                    index_path=("devices", entry.position),
                    manifest=context,
                )
            )
    result.diagnostics.extend(
        engine.check_output(OutputContext(index.document, tuple(devices)), disabled=disabled)
    )


def validate_paths(
    paths: Collection[Path],
    *,
    environ: Mapping[str, str],
    disabled: Collection[str] = (),
    collect_proxies: bool = False,
    import_meanwhile: Collection[str] = (),
) -> ValidateResult:
    """Check hierarchy files, manifests and folders; an unreadable file does not stop the rest.

    With `collect_proxies`, the result keeps each manifest for check_proxies_with_nginx.
    `import_meanwhile`: as for load_hierarchy (when a hierarchy file is among the paths).
    """
    from acr_edge_cli.validation import engine

    result = ValidateResult(collect_proxies=collect_proxies)
    if any(path.suffix.lower() != ".json" and not path.is_dir() for path in paths):
        _start_imports_while_parsing(import_meanwhile)  # a hierarchy file
    queue: list[Path] = []
    for path in paths:
        if not path.is_dir():
            queue.append(path)
            continue
        try:
            index = read_index(path)
        except InputError as error:
            result.diagnostics.extend(error.diagnostics)
            continue
        if index is not None and index.as_configurations:
            queue.extend(index.path(c.file) for c in index.configurations)
        elif index is not None:
            _validate_output(path, index, result, disabled)
        else:
            queue.extend(sorted(p for p in path.rglob("*.json")))
    configurations: list[SourceDocument] = []
    for path in queue:
        display = str(path)
        result.files.append(display)
        try:
            document = load_file(path, display)
            kind = _kind(path, document)
            if kind == "configuration":
                configurations.append(document)  # checked together: one hub's set
            elif kind == "manifest":
                result.diagnostics.extend(engine.check_manifest(document, disabled=disabled))
                if result.collect_proxies:
                    # a lower-layer manifest names no parent: edgeAgent would fill it in
                    lower = "$upstream" in orjson.dumps(document.data).decode()
                    parent = "parent.invalid" if lower else None
                    result.proxies.append((display, document.data, parent))
            else:
                _validate_hierarchy(document, environ, disabled, result)
        except InputError as error:
            result.diagnostics.extend(error.diagnostics)
    for position, document in enumerate(configurations):
        result.diagnostics.extend(
            engine.check_configuration(
                document, position=position, total=len(configurations), disabled=disabled
            )
        )
    result.diagnostics.sort()
    return result


def check_proxies_with_nginx(result: ValidateResult, tools: NginxTools) -> list[Diagnostic]:
    """`nginx -t` on the configuration each checked manifest's API proxy would run."""
    from acr_edge_cli.proxyconfig import check_with_nginx, proxy_settings, render_nginx_config

    findings = []
    for file, content, parent in result.proxies:
        settings = proxy_settings(content) if isinstance(content, dict) else None
        if settings is None:
            continue
        check = check_with_nginx(render_nginx_config(settings, parent_hostname=parent), tools)
        if not check.ok:
            findings.append(
                Diagnostic(
                    file, None, None, "nginx", Severity.ERROR,
                    f"{settings.module_name}: nginx -t refuses the proxy configuration: "
                    + " ".join(check.output.split()),
                    pointer="/modulesContent/$edgeAgent/properties.desired/modules/"
                    + settings.module_name,
                )
            )  # fmt: skip
    return findings
