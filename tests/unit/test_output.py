"""Writing OUT is atomic: interrupted at any write or rename, the previous output stays
whole, never a mix, and no half-written folder is left behind."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from acr_edge_cli import output
from acr_edge_cli.errors import UsageError
from acr_edge_cli.output import INDEX_NAME, write_tree


def _folder(manifests: dict[str, bytes]) -> dict[str, bytes]:
    """A generated folder's files: the manifests and the index.json that lists them."""
    devices: list[dict[str, Any]] = [
        {"id": path.split("/")[1], "parent": None, "layer": int(path[6]), "manifest": path,
         "sha256": hashlib.sha256(data).hexdigest(), "secrets": []}
        for path, data in manifests.items()
    ]  # fmt: skip
    index = {"version": 1, "hierarchy": "h", "generator": "acr-edge 0.1.0", "devices": devices}
    return {INDEX_NAME: json.dumps(index).encode(), **manifests}


OLD = _folder({"layer-0/a/deployment.json": b"old a\n", "layer-1/b/deployment.json": b"old b\n"})
NEW = _folder(
    {
        "layer-0/a/deployment.json": b"new a\n",
        "layer-1/c/deployment.json": b"new c\n",
        "layer-2/d/deployment.json": b"new d\n",
    }
)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


class Interrupted(BaseException):
    """Stands for a kill or Ctrl-C: not an Exception, so nothing may swallow it."""


def _steps(patch: pytest.MonkeyPatch, on_step: Callable[[], object]) -> None:
    """Call `on_step` before every file write, swap and rename write_tree makes."""
    original_write, original_rename = output._write_file, Path.rename
    original_exchange = output._exchange

    def exchange(*args: Any) -> bool:
        on_step()
        return original_exchange(*args)

    def write(*args: Any) -> None:
        on_step()
        original_write(*args)

    def rename(self: Path, target: Path) -> Path:
        on_step()
        return original_rename(self, target)

    patch.setattr(output, "_write_file", write)
    patch.setattr(output, "_exchange", exchange)
    patch.setattr(Path, "rename", rename)


def _count_steps(tmp_path: Path) -> int:
    scratch = tmp_path / "count"
    write_tree(scratch, OLD)
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        _steps(patch, lambda: next(counter))
        write_tree(scratch, NEW)
    return next(counter)


def _fail_at(step: int) -> Callable[[], None]:
    counter = itertools.count(1)

    def on_step() -> None:
        if next(counter) == step:
            raise Interrupted

    return on_step


def test_an_interruption_at_any_step_keeps_the_old_output(tmp_path: Path) -> None:
    steps = _count_steps(tmp_path)
    assert steps == len(NEW) + 1  # every file, then one swap of the old and the new folder
    for failing in range(1, steps + 1):
        out = tmp_path / f"run-{failing}" / "out"
        write_tree(out, OLD)
        with pytest.MonkeyPatch.context() as patch:
            _steps(patch, _fail_at(failing))
            with pytest.raises(Interrupted):
                write_tree(out, NEW)
        assert _tree(out) == OLD, f"interrupted at step {failing}"
        assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_a_completed_write_replaces_everything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, OLD)
    write_tree(out, NEW)
    assert _tree(out) == NEW
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_paths_leaving_the_folder_are_refused_before_writing(tmp_path: Path) -> None:
    for bad in ("../escape.json", "/abs.json", "layer-0/../../x.json", "a//b.json"):
        with pytest.raises(UsageError, match="refusing to write outside the output folder"):
            write_tree(tmp_path / "out", {bad: b"x"})
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "escape.json").exists()


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(UsageError, match="exists and is not a folder"):
        write_tree(tmp_path / "out", NEW)


def test_background_flushes_all_finish_before_out_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large outputs are flushed while they are written; every flush, the last included,
    completes before OUT is replaced."""
    out = tmp_path / "out"
    write_tree(out, OLD)
    flushes: list[bool] = []  # for each flush: was OUT already the new folder?

    def recording_sync() -> None:
        flushes.append((out / "layer-2").exists())

    monkeypatch.setattr(output, "FLUSH_EVERY", 1)
    monkeypatch.setattr(os, "sync", recording_sync)
    write_tree(out, NEW)
    assert _tree(out) == NEW
    assert len(flushes) >= 2  # at least one in the background, and the final one
    assert not any(flushes)
