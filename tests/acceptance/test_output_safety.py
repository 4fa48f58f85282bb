"""`generate` never deletes what it did not write, never leaves OUT missing, cleans up after
killed runs, keeps inlined secrets private, and says in one line why it cannot write."""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from acr_edge_cli import output
from acr_edge_cli.output import StagedOutput
from tests.conftest import EXAMPLES, CliResult

EXAMPLE = EXAMPLES / "two-layer.yaml"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def generated(tmp_path: Path, cli: Callable[..., CliResult]) -> Path:
    out = tmp_path / "out"
    result = cli("generate", EXAMPLE, "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


def test_foreign_files_in_out_are_never_deleted_without_force(
    generated: Path, cli: Callable[..., CliResult]
) -> None:
    (generated / "notes.md").write_text("mine")
    (generated / "layer-0" / "extra.json").write_text("{}")
    before = _tree(generated)
    result = cli("generate", EXAMPLE, "-o", generated)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {generated}: refusing to replace it: it holds files acr-edge did not write "
        "(layer-0/extra.json, notes.md); move them, choose another -o, or pass --force to "
        "delete them\n"
    )
    assert _tree(generated) == before


def test_force_replaces_foreign_files_but_never_a_git_repository(
    generated: Path, cli: Callable[..., CliResult]
) -> None:
    (generated / "notes.md").write_text("mine")
    assert cli("generate", EXAMPLE, "-o", generated, "--force").exit_code == 0
    assert not (generated / "notes.md").exists()

    (generated / ".git").mkdir()
    (generated / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = cli("generate", EXAMPLE, "-o", generated, "--force")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {generated}: refusing to replace it: it holds a git repository (.git); "
        "choose another -o\n"
    )
    assert (generated / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_out_holding_the_input_hierarchy_is_never_replaced(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    plant = tmp_path / "plant2"
    plant.mkdir()
    source = plant / "hierarchy.yaml"
    source.write_bytes(EXAMPLE.read_bytes())
    result = cli("generate", source, "-o", plant, "--force")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {plant}: refusing to replace it: it holds an input of this run ({source}); "
        "choose another -o\n"
    )
    assert source.read_bytes() == EXAMPLE.read_bytes()


@pytest.fixture
def inside(tmp_path: Path) -> Iterator[Path]:
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(here)


def test_force_never_replaces_the_current_or_home_folder(
    inside: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    (inside / "keep.txt").write_text("keep")
    result = cli("generate", EXAMPLE, "-o", ".", "--force")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: .: refusing to replace it: it is the current folder or holds it; "
        "choose another -o\n"
    )
    home = inside / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    result = cli("generate", EXAMPLE, "-o", home, "--force")
    assert result.stderr == (
        f"error: {home}: refusing to replace it: it is your home folder; choose another -o\n"
    )
    assert (inside / "keep.txt").exists()


def test_leftovers_of_killed_runs_are_removed_and_nothing_else(
    generated: Path, cli: Callable[..., CliResult]
) -> None:
    parent = generated.parent
    leftover = parent / ".out.acr-edge-new-0123456789ab"
    (leftover / "layer-0").mkdir(parents=True)
    (leftover / "layer-0" / "deployment.json").write_text('{"password": "inlined"}')
    unrelated = parent / ".out.keep-me"
    unrelated.mkdir()
    assert cli("generate", EXAMPLE, "-o", generated).exit_code == 0
    assert not leftover.exists()
    assert unrelated.exists()


def test_a_run_killed_between_two_renames_gets_its_out_back(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system cannot swap two folders in one step, OUT is replaced by two
    renames; a run killed between them leaves OUT missing, and the next run repairs it."""
    before = _tree(generated)
    original = Path.rename

    def rename_then_die(self: Path, target: Path) -> Path:
        moved = original(self, target)
        if self == generated:
            raise KeyboardInterrupt  # killed just after the old folder was moved aside
        return moved

    monkeypatch.setattr(output, "_exchange", lambda new, old: False)
    monkeypatch.setattr(Path, "rename", rename_then_die)
    with pytest.raises(KeyboardInterrupt), StagedOutput(generated) as staged:
        staged.add("index.json", b"{}")
        staged.commit()
    monkeypatch.undo()
    assert not generated.exists()
    with StagedOutput(generated):  # the next run, before it writes anything
        assert _tree(generated) == before


def test_two_runs_into_one_folder_do_not_race(
    generated: Path, cli: Callable[..., CliResult]
) -> None:
    before = _tree(generated)
    descriptor = os.open(generated.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # as another acr-edge run holds it
        result = cli("generate", EXAMPLE, "-o", generated)
    finally:
        os.close(descriptor)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {generated.parent}: another acr-edge run is writing here; "
        "try again when it has ended\n"
    )
    assert _tree(generated) == before


def test_inlined_secrets_are_written_for_the_owner_only(
    tmp_path: Path, cli: Callable[..., CliResult], secrets_env: dict[str, str]
) -> None:
    out = tmp_path / "inlined"
    assert cli("generate", EXAMPLE, "-o", out, "--inline-secrets").exit_code == 0
    modes = {
        p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [out, *out.rglob("*")]
    }
    assert modes == {
        ".": 0o700,
        "index.json": 0o600,
        "layer-0": 0o700,
        "layer-0/top-layer": 0o700,
        "layer-0/top-layer/deployment.json": 0o600,
        "layer-1": 0o700,
        "layer-1/lower-layer": 0o700,
        "layer-1/lower-layer/deployment.json": 0o600,
    }


def test_an_output_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("generate", EXAMPLE, "-o", blocker / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot write {blocker}/out: {blocker} is not a folder\n"
    result = cli("generate", EXAMPLE, "-o", blocker)
    assert result.stderr == f"error: {blocker}: exists and is not a folder\n"


def test_a_mount_point_is_never_replaced(cli: Callable[..., CliResult]) -> None:
    result = cli("generate", EXAMPLE, "-o", "/proc", "--force")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: /proc: refusing to replace it: it is a mount point (acr-edge replaces OUT by "
        "renaming; write into a folder in it); choose another -o\n"
    )


def test_a_read_only_parent_is_one_line(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root, permissions do not stop a write: the file system's refusal is stood in for."""
    import errno

    original = Path.mkdir

    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        if ".acr-edge-new-" in self.name:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = cli("generate", EXAMPLE, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot write {tmp_path}/out: Read-only file system\n"
    assert list(tmp_path.iterdir()) == []
