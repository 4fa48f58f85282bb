"""`generate`: every device's manifest, or IoT Hub automatic deployments, and the decision
to write them (only when no check blocks it)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from acr_edge_cli.diagnostics import Diagnostic
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.loader import json_locators
from acr_edge_cli.loading import load_hierarchy
from acr_edge_cli.output import (
    INDEX_NAME,
    StagedOutput,
    configuration_path,
    index_document,
    serialize_json,
    write_tree,
)
from acr_edge_cli.output import generator as output_generator
from acr_edge_cli.rendering import GeneratedManifest, Progress, rendering
from acr_edge_cli.rules.selection import DEFAULT, RuleSelection
from acr_edge_cli.secrets import SecretPlaces, mark_places, take_marks

if TYPE_CHECKING:
    from acr_edge_cli.model import Hierarchy


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
    #: OUT was replaced with these files (no check blocked it)
    written: bool = False

    #: with --as configurations: where each configuration keeps ${NAME} secrets
    configuration_secrets: tuple[SecretPlaces, ...] = ()

    @property
    def as_configurations(self) -> bool:
        return bool(self.configurations)

    def index(self) -> dict[str, Any]:
        def parent(m: GeneratedManifest) -> str | None:
            return m.device.parent.id if m.device.parent else None

        generator = output_generator()
        resource_id = self.hierarchy.cloud_registry.resource_id
        registries = (
            {
                "resource_id": resource_id,
                "devices": {
                    m.device.id: m.device.registry.name for m in self.manifests if m.device.registry
                },
            }
            if resource_id
            else None
        )
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
                registries,
            )  # fmt: skip
        return index_document(
            self.hierarchy.name,
            generator,
            [
                {"id": m.device.id, "parent": parent(m), "layer": m.device.layer,
                 "manifest": m.path, "sha256": m.sha256, "secrets": m.secrets}
                for m in self.manifests
            ],
            registries=registries,
        )  # fmt: skip

    def files(self) -> dict[str, bytes]:
        """Every file of the output folder: relative path → bytes."""
        return {**self.content_files(), INDEX_NAME: serialize_json(self.index())}

    def content_files(self) -> dict[str, bytes]:
        """The manifests, or with --as configurations the configurations."""
        if self.as_configurations:
            return {configuration_path(c["id"]): serialize_json(c) for c in self.configurations}
        return {m.path: m.data for m in self.manifests}


def generate(
    path: Path,
    *,
    output: str,
    environ: Mapping[str, str],
    inline_secrets: bool = False,
    templates: Path | None = None,
    rules: RuleSelection = DEFAULT,
    display: str | None = None,
    as_configurations: bool = False,
    staged: StagedOutput | None = None,
    import_meanwhile: Collection[str] = (),
    progress: Progress | None = None,
) -> GenerateResult:
    """Everything `generate` would write, and every finding.

    Writes nothing, unless `staged` is given: then, if no finding blocks it (errors; with
    `rules.strict`, warnings too), OUT is replaced with the result (`written`). Manifests are
    added to `staged` as they arrive when the hierarchy's own findings do not block writing
    already. With `as_configurations`, the per-device manifests are the input of IoT Hub
    automatic deployments (configurations.py), which are what is written and checked.
    `import_meanwhile`: as for load_hierarchy.
    """
    result = _generate(
        path,
        output=output,
        environ=environ,
        inline_secrets=inline_secrets,
        templates=templates,
        rules=rules,
        display=display,
        as_configurations=as_configurations,
        staged=staged,
        import_meanwhile=import_meanwhile,
        progress=progress,
    )
    if staged is None or not rules.allows_writing(result.diagnostics):
        return result
    files = {} if result.streamed else result.content_files()
    files[INDEX_NAME] = serialize_json(result.index())
    for relative, data in files.items():
        staged.add(relative, data)
    staged.commit()
    return dataclasses.replace(result, written=True)


def _generate(
    path: Path,
    *,
    output: str,
    environ: Mapping[str, str],
    inline_secrets: bool,
    templates: Path | None,
    rules: RuleSelection,
    display: str | None,
    as_configurations: bool,
    staged: StagedOutput | None,
    import_meanwhile: Collection[str],
    progress: Progress | None,
) -> GenerateResult:
    from acr_edge_cli.rules import engine

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
        rules=rules,
        progress=progress,
    ) as results:
        # Checked while the workers render.
        diagnostics = engine.check_hierarchy(loaded.document, loaded.plan, rules=rules)
        stream = staged is not None and not as_configurations and rules.allows_writing(diagnostics)
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
                rules=rules,
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
