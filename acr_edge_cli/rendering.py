"""Rendering and checking every device's manifest, in forked workers for large fleets."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from acr_edge_cli.diagnostics import Diagnostic
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.loader import json_locators
from acr_edge_cli.loading import LoadedHierarchy, wait_for_imports
from acr_edge_cli.output import manifest_path, serialize_json
from acr_edge_cli.rules.selection import DEFAULT, RuleSelection
from acr_edge_cli.secrets import MarkTaker, SecretPlaces
from acr_edge_cli.workers import default_workers, in_chunks

if TYPE_CHECKING:
    from acr_edge_cli.plan import DevicePlan
    from acr_edge_cli.render import Renderer


@dataclass(frozen=True)
class GeneratedManifest:
    device: DevicePlan
    path: str  # relative to the output folder
    data: bytes
    sha256: str  # of data, for the index (computed by the worker that rendered it)
    secrets: SecretPlaces = field(default_factory=list)  # where it keeps ${NAME} secrets


@dataclass(frozen=True)
class _RenderJob:
    loaded: LoadedHierarchy
    manifest_file: Callable[[str], str]
    renderer: Renderer  # its template compiled once, before the workers fork
    rules: RuleSelection


#: device index, manifest bytes, their SHA-256, where secrets are, findings
RenderedDevice = tuple[int, bytes, str, SecretPlaces, list[Diagnostic]]


def _render(job: _RenderJob, start: int, stop: int) -> list[RenderedDevice]:
    """Render, serialize and check devices[start:stop] of a job."""
    from acr_edge_cli.rules import engine

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
        findings = engine.check_manifest(document, device=device, hierarchy=plan, rules=job.rules)
        results.append((index, data, hashlib.sha256(data).hexdigest(), secrets, findings))
    return results


RenderResults = Iterator[tuple[GeneratedManifest, list[Diagnostic]]]
#: progress(done, total), called as results arrive (after each chunk of devices)
Progress = Callable[[int, int], None]


@contextmanager
def rendering(
    loaded: LoadedHierarchy,
    *,
    manifest_file: Callable[[str], str],
    templates: Path | None = None,
    rules: RuleSelection = DEFAULT,
    workers: int | None = None,
    progress: Progress | None = None,
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
    job = _RenderJob(loaded, manifest_file, Renderer(templates), rules)

    def results(batches: Iterable[list[RenderedDevice]]) -> RenderResults:
        done = 0
        for batch in batches:
            for index, data, digest, secrets, findings in batch:
                device = devices[index]
                path = manifest_path(device.layer, device.id)
                yield GeneratedManifest(device, path, data, digest, secrets), findings
            done += len(batch)
            if progress is not None:
                progress(done, count)

    with in_chunks(_render, job, count, processes, before_fork=wait_for_imports) as batches:
        yield results(batches)
