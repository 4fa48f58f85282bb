"""Write a generated folder atomically: all of it replaces the old one, or nothing changes."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from acr_edge_cli.errors import UsageError

INDEX_NAME = "index.json"
GENERATOR_PREFIX = "acr-edge "


def written_by_us(folder: Path) -> bool:
    """True for a folder holding an index.json that acr-edge wrote."""
    try:
        index = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    generator = index.get("generator") if isinstance(index, dict) else None
    return isinstance(generator, str) and generator.startswith(GENERATOR_PREFIX)


def _check_target(out: Path, force: bool) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not written_by_us(out) and not force:
        raise UsageError(
            f"{out}: refusing to replace a folder acr-edge did not write "
            "(no acr-edge index.json in it); choose another -o or pass --force"
        )


def _relative_parts(relative: str) -> tuple[str, ...]:
    """The parts of a relative POSIX path, refusing anything that leaves the folder."""
    parts = tuple(relative.split("/"))
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UsageError(f"refusing to write outside the output folder: {relative}")
    return parts


def _folders(relatives: Iterable[str]) -> list[str]:
    """Every folder the files need, parents before children, each once."""
    folders: set[str] = set()
    for relative in relatives:
        parts = _relative_parts(relative)
        for end in range(1, len(parts)):
            folders.add("/".join(parts[:end]))
    return sorted(folders)  # a parent sorts before anything under it


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_file(root: str, relative: str, data: bytes) -> None:
    descriptor = os.open(f"{root}/{relative}", _CREATE, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def write_tree(out: Path, files: Mapping[str, bytes], *, force: bool = False) -> None:
    """Replace `out` with exactly `files` (relative POSIX paths → bytes).

    The files are written to a sibling temporary folder, which is renamed into place; an
    old folder is moved aside first and removed last. Interrupted at any point, `out` is
    either the old folder or the new one, never a mix; the leftover is a hidden sibling.
    """
    _check_target(out, force)
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    staging = parent / f".{out.name}.acr-edge-new-{token}"
    retired = parent / f".{out.name}.acr-edge-old-{token}"
    try:
        folders = _folders(files)
        staging.mkdir()
        # One thread, each folder made once, plain string paths: creating files is kernel
        # work serialised on each folder's lock, which more threads only contend for
        # (measured for 10,000 manifests: 0.5 s with one thread, 0.9-1.3 s with 2-8).
        root = str(staging)
        for folder in folders:
            os.mkdir(f"{root}/{folder}")  # noqa: PTH102 - Path objects cost measurable time here
        for relative, data in files.items():
            _write_file(root, relative, data)
        # One flush of everything written, rather than one per file: thousands of fsyncs
        # cost seconds, and the rename below must not land before the data does.
        os.sync()
        moved_aside = False
        if out.exists():
            out.rename(retired)
            moved_aside = True
        try:
            staging.rename(out)
        except BaseException:
            if moved_aside:
                retired.rename(out)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
