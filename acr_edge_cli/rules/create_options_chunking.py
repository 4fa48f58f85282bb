"""`createOptions` is split wrongly. edgeAgent joins `createOptions`, `createOptions01`,
`createOptions02`... in order and fails on a gap; tools split at 512 characters and keep
to 8 chunks (4 KB), which is what IoT Hub and the VS Code and iotedgedev tools accept.
Fix: minify the JSON and split it into consecutive chunks of at most 512 characters (acr-edge
generate does this), or shrink the options."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import create_options_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "create-options-chunking"
SEVERITY = Severity.ERROR
SUMMARY = (
    "a chunk is over 512 characters, chunks are not consecutive (`createOptions01`, `02`, …), "
    "or the total is over 8 chunks"
)
CHUNK_LIMIT = 512
MAX_CHUNKS = 8


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.all_modules():
        keys = entry.create_options_keys
        if (
            not keys
            or context.document.source_path(create_options_path(entry)) in context.stringified
        ):
            continue  # written as an object in a template: the tools split it themselves
        for index, key in enumerate(keys):
            expected = "createOptions" if index == 0 else f"createOptions{index:02d}"
            if key != expected:
                yield Finding(
                    (*entry.path, "settings", key),
                    f"{entry.name}: found {key} where {expected} was expected; chunks must be "
                    "createOptions, createOptions01, createOptions02... without gaps",
                    on_key=True,
                )
                break
        for key in keys:
            value = entry.settings[key]
            if isinstance(value, str) and len(value) > CHUNK_LIMIT:
                yield Finding(
                    (*entry.path, "settings", key),
                    f"{entry.name}: {key} is {len(value)} characters; chunks hold at most "
                    f"{CHUNK_LIMIT}",
                )
        if len(keys) > MAX_CHUNKS:
            yield Finding(
                (*entry.path, "settings", keys[MAX_CHUNKS]),
                f"{entry.name}: createOptions has {len(keys)} chunks; at most {MAX_CHUNKS} "
                f"({MAX_CHUNKS * CHUNK_LIMIT} characters)",
                on_key=True,
            )
