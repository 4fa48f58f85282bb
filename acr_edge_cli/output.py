"""Write a generated folder atomically: all of it replaces the old one, or nothing changes."""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Mapping
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


#: Written bytes after which a background flush starts (see StagedOutput.add).
FLUSH_EVERY = 8 * 1024 * 1024

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_file(root: str, relative: str, data: bytes) -> None:
    try:
        descriptor = os.open(f"{root}/{relative}", _CREATE, 0o644)
    except FileExistsError:
        raise UsageError(f"refusing to write {relative} twice (two devices share an id?)") from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


class StagedOutput:
    """A new OUT being written: files go to a hidden sibling folder, which replaces OUT in
    one rename on commit() and is removed if the block ends without it.

    Interrupted at any point, OUT is either the old folder or the new one, never a mix; the
    leftover is a hidden sibling.
    """

    def __init__(self, out: Path, *, force: bool = False) -> None:
        _check_target(out, force)
        out.parent.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        self.out = out
        self.staging = out.parent / f".{out.name}.acr-edge-new-{token}"
        self._retired = out.parent / f".{out.name}.acr-edge-old-{token}"
        self._root = str(self.staging)
        self._folders: set[str] = set()
        self._committed = False
        self._unflushed = 0
        self._flushing: threading.Thread | None = None
        self.staging.mkdir()

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._committed:
            shutil.rmtree(self.staging, ignore_errors=True)

    def add(self, relative: str, data: bytes) -> None:
        """Write one file (a relative POSIX path), making the folders it needs.

        One process writes, each folder is made once, with plain string paths: creating
        files is kernel work serialised on each folder's lock, which more writers only
        contend for (10,000 manifests: 0.5 s from one thread, 0.9-1.3 s from 2 to 8).
        """
        parts = _relative_parts(relative)
        folder = ""
        for part in parts[:-1]:
            folder = f"{folder}/{part}" if folder else part
            if folder not in self._folders:
                os.mkdir(f"{self._root}/{folder}")  # noqa: PTH102 - a Path costs time here
                self._folders.add(folder)
        _write_file(self._root, relative, data)
        # Flushing in the background while more is rendered leaves commit() little to wait
        # for (10,000 manifests: its flush 0.24 s -> 0.05 s).
        self._unflushed += len(data)
        if self._unflushed >= FLUSH_EVERY and not (self._flushing and self._flushing.is_alive()):
            self._unflushed = 0
            self._flushing = threading.Thread(target=os.sync, daemon=True)
            self._flushing.start()

    def commit(self) -> None:
        """Replace OUT with what was added."""
        # One flush of everything written, rather than one per file: thousands of fsyncs
        # cost seconds, and the rename below must not land before the data does.
        if self._flushing is not None:
            self._flushing.join()
        os.sync()  # what the background flushes did not cover
        moved_aside = False
        if self.out.exists():
            self.out.rename(self._retired)
            moved_aside = True
        try:
            self.staging.rename(self.out)
        except BaseException:
            if moved_aside:
                self._retired.rename(self.out)
            raise
        self._committed = True
        shutil.rmtree(self._retired, ignore_errors=True)


def write_tree(out: Path, files: Mapping[str, bytes], *, force: bool = False) -> None:
    """Replace `out` with exactly `files` (relative POSIX paths → bytes), atomically."""
    for relative in files:  # refused before anything is written
        _relative_parts(relative)
    with StagedOutput(out, force=force) as staged:
        for relative, data in files.items():
            staged.add(relative, data)
        staged.commit()
