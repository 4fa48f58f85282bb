"""The output folder: its layout, its index.json (written and read only here), and writing
it atomically — all of it replaces the old one, or nothing changes.

What may be replaced is decided here too (see check_replaceable): a folder that holds only
what an earlier run wrote, or, with --force, any folder except the few whose loss no one
asked for (the current folder or one above it, the home folder, the root, a mount point, a
git repository, the input files).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from acr_edge_cli.diagnostics import JsonPath
from acr_edge_cli.errors import InputError, UsageError

INDEX_NAME = "index.json"
MANIFEST_NAME = "deployment.json"
GENERATOR_PREFIX = "acr-edge "


def generator() -> str:
    """What an index.json says wrote it: how a later run knows the folder is acr-edge's."""
    from acr_edge_cli import __version__

    return GENERATOR_PREFIX + __version__


def manifest_path(layer: int, device_id: str) -> str:
    """Where a device's manifest goes, relative to OUT."""
    return f"layer-{layer}/{device_id}/{MANIFEST_NAME}"


def configuration_path(configuration_id: str) -> str:
    """Where an automatic deployment goes, relative to OUT."""
    return f"configurations/{configuration_id}.json"


def serialize_json(content: Mapping[str, Any]) -> bytes:
    """The bytes written for a manifest or the index: key order kept, two-space indent, UTF-8
    (byte for byte what json.dumps(indent=2, ensure_ascii=False) gives, only faster)."""
    try:
        return orjson.dumps(content, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits, which orjson refuses
        return (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- index.json -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexDevice:
    id: str
    parent: str | None
    layer: int
    position: int  # in the index's devices list, to locate findings
    manifest: str | None = None  # per-device folders
    sha256: str | None = None
    secrets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (pointer, names) kept as ${NAME}
    tags: Mapping[str, Any] | None = None  # folders of automatic deployments


@dataclass(frozen=True)
class IndexConfiguration:
    id: str
    file: str
    priority: int
    sha256: str | None
    secrets: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class OutputIndex:
    """A generated folder's index.json, checked: every path inside the folder, every entry
    of the shape acr-edge writes."""

    folder: Path
    document: Any  # the SourceDocument, to locate findings in index.json
    hierarchy: str
    devices: tuple[IndexDevice, ...]
    configurations: tuple[IndexConfiguration, ...] = ()
    #: an id listed twice, a child before its parent: refused by deploy (validate's rules
    #: report them in their terms)
    order_problems: tuple[Any, ...] = ()
    #: the files of a bundles folder
    bundle_files: tuple[str, ...] = ()
    #: the cloud registry's resource id, and device id -> its connected registry's name
    registries: tuple[str, Mapping[str, str]] | None = None

    @property
    def as_configurations(self) -> bool:
        return bool(self.document.data.get("mode") == "configurations")

    @property
    def as_bundles(self) -> bool:
        """A folder of device bundles (`acr-edge bundle`), not of manifests."""
        return bool(self.document.data.get("mode") == "bundles")

    def files(self) -> list[str]:
        """Every file the index says the folder holds (index.json included)."""
        listed = [d.manifest for d in self.devices if d.manifest]
        listed += [c.file for c in self.configurations]
        return [INDEX_NAME, *listed, *self.bundle_files]

    def path(self, relative: str) -> Path:
        return self.folder / relative

    def read(self, relative: str) -> bytes:
        """A listed file's bytes; ValueError when a symbolic link leads it out of the folder
        (deploy must send only what generate wrote)."""
        path = self.folder / relative
        real = Path(os.path.realpath(path))
        if Path(os.path.realpath(self.folder)) not in real.parents:
            raise ValueError(f"{relative!r} leads out of the output folder")
        return real.read_bytes()


def _places(places: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, Any]]:
    return [{"pointer": pointer, "names": list(names)} for pointer, names in places]


def index_document(
    hierarchy: str,
    generator: str,
    devices: Sequence[Mapping[str, Any]],
    configurations: Sequence[Mapping[str, Any]] | None = None,
    registries: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The index.json of a generated folder. `devices`: id, parent, layer, and either
    manifest, sha256, secrets (per device) or tags (automatic deployments, which then come
    as `configurations`: id, file, priority, sha256, secrets). `registries`: the cloud
    registry's resource id and each device's connected registry, for status."""
    header: dict[str, Any] = {"version": 1, "hierarchy": hierarchy, "generator": generator}
    if registries is not None:
        header["connected_registries"] = dict(registries)
    if configurations is not None:
        return {
            **header,
            "mode": "configurations",
            "devices": [
                {k: d[k] for k in ("id", "parent", "layer", "tags")} for d in devices
            ],
            "configurations": [
                {**{k: c[k] for k in ("id", "file", "priority", "sha256")},
                 "secrets": _places(c["secrets"])}
                for c in configurations
            ],
        }  # fmt: skip
    return {
        **header,
        "devices": [
            {**{k: d[k] for k in ("id", "parent", "layer", "manifest", "sha256")},
             "secrets": _places(d["secrets"])}
            for d in devices
        ],
    }  # fmt: skip


def bundles_index_document(
    hierarchy: str, generator: str, devices: Sequence[Mapping[str, Any]], files: Sequence[str]
) -> dict[str, Any]:
    """The index.json of a bundles folder (`acr-edge bundle`): every file it holds, so
    that the next run knows the folder is its own."""
    return {
        "version": 1,
        "hierarchy": hierarchy,
        "generator": generator,
        "mode": "bundles",
        "devices": [{k: d[k] for k in ("id", "parent", "layer")} for d in devices],
        "files": list(files),
    }


_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Problems:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.found: list[Any] = []

    def add(self, path: JsonPath, message: str) -> None:
        self.found.append(self.document.diagnostic(path, message))


def _inside(relative: object, problems: _Problems, where: JsonPath) -> str | None:
    """`relative` when it names a path inside the folder (no `..`, no absolute path); else
    a problem. Symbolic links are looked at when a file is read (OutputIndex.read)."""
    if not isinstance(relative, str) or not relative:
        problems.add(where, "not a relative path")
        return None
    parts = relative.split("/")
    if relative.startswith("/") or "\\" in relative or any(p in ("", ".", "..") for p in parts):
        problems.add(where, f"{relative!r} leaves the output folder")
        return None
    return relative


def _read_places(value: object, problems: _Problems, where: JsonPath) -> tuple[Any, ...]:
    if value is None:
        return ()
    ok = isinstance(value, list) and all(
        isinstance(p, dict)
        and isinstance(p.get("pointer"), str)
        and p["pointer"].startswith("/")
        and isinstance(p.get("names"), list)
        and all(isinstance(n, str) and _NAME.fullmatch(n) for n in p["names"])
        for p in value
    )
    if not ok:
        problems.add(where, "not a list of {pointer, names}")
        return ()
    assert isinstance(value, list)
    return tuple((p["pointer"], tuple(p["names"])) for p in value)


def holds_index(folder: Path) -> bool:
    """Whether `folder` is (by its index.json) one acr-edge generated."""
    import json

    try:
        data = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("generator", "")).startswith(GENERATOR_PREFIX)


def read_index(folder: Path) -> OutputIndex | None:
    """The checked index.json of a generated folder, or None when the folder has none.

    An index.json that acr-edge could not have written (a path leaving the folder, an entry
    of another shape) is an input error that names each problem.
    """
    from acr_edge_cli.loader import load_file

    path = folder / INDEX_NAME
    if not path.is_file():
        return None
    document = load_file(path, str(path))
    data = document.data
    problems = _Problems(document)
    if not isinstance(data, dict) or not str(data.get("generator", "")).startswith(
        GENERATOR_PREFIX
    ):
        raise InputError([document.diagnostic((), "not an acr-edge index.json")])
    entries = data.get("devices")
    if not isinstance(entries, list):
        raise InputError([document.diagnostic(("devices",), "not an acr-edge index.json")])
    configurations_mode = data.get("mode") == "configurations"
    bundles_mode = data.get("mode") == "bundles"
    devices: list[IndexDevice] = []
    seen: set[str] = set()
    order: list[Any] = []  # what deploy refuses and validate's rules report
    for position, entry in enumerate(entries):
        where: JsonPath = ("devices", position)
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and type(entry.get("layer", 0)) is int
            and isinstance(entry.get("parent"), (str, type(None)))
        ):
            problems.add(where, "not an acr-edge index entry (id, parent, layer)")
            continue
        device_id, parent = entry["id"], entry.get("parent")
        if device_id not in seen and parent is not None and parent not in seen:
            message = f"parent {parent!r} is not listed before it"
            order.append(document.diagnostic((*where, "parent"), message))
        elif device_id in seen:
            order.append(
                document.diagnostic((*where, "id"), f"device {device_id!r} is listed twice")
            )
        seen.add(device_id)
        if bundles_mode:
            devices.append(IndexDevice(device_id, parent, entry.get("layer", 0), position))
            continue
        if configurations_mode:
            tags = entry.get("tags")
            if not isinstance(tags, dict):
                problems.add((*where, "tags"), "not a mapping of twin tags")
                continue
            devices.append(IndexDevice(device_id, parent, entry.get("layer", 0), position,
                                       tags=tags))  # fmt: skip
            continue
        manifest = _inside(entry.get("manifest"), problems, (*where, "manifest"))
        digest = entry.get("sha256")
        if not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
            problems.add((*where, "sha256"), "not a SHA-256 in hex")
        places = _read_places(entry.get("secrets"), problems, (*where, "secrets"))
        devices.append(
            IndexDevice(device_id, parent, entry.get("layer", 0), position, manifest,
                        digest if isinstance(digest, str) else None, places)
        )  # fmt: skip
    configurations: list[IndexConfiguration] = []
    if configurations_mode:
        listed = data.get("configurations")
        if not isinstance(listed, list):
            listed = []
            problems.add(("configurations",), "not a list")
        for position, entry in enumerate(listed):
            where = ("configurations", position)
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                problems.add(where, "not an acr-edge configuration entry (id, file)")
                continue
            file = _inside(entry.get("file"), problems, (*where, "file"))
            digest = entry.get("sha256")
            if digest is not None and not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
                problems.add((*where, "sha256"), "not a SHA-256 in hex")
            places = _read_places(entry.get("secrets"), problems, (*where, "secrets"))
            configurations.append(
                IndexConfiguration(entry["id"], file or "", int(entry.get("priority", 0)),
                                   digest, places)
            )  # fmt: skip
    registries = None
    recorded = data.get("connected_registries")
    if recorded is not None:
        names = recorded.get("devices") if isinstance(recorded, dict) else None
        resource_id = recorded.get("resource_id") if isinstance(recorded, dict) else None
        if not (
            isinstance(resource_id, str)
            and isinstance(names, dict)
            and all(isinstance(v, str) for v in names.values())
        ):
            problems.add(("connected_registries",), "not {resource_id, devices: {id: name}}")
        else:
            registries = (resource_id, dict(names))
    bundle_files: list[str] = []
    if bundles_mode:
        listed_files = data.get("files")
        if not isinstance(listed_files, list):
            listed_files = []
            problems.add(("files",), "not a list")
        for position, relative in enumerate(listed_files):
            inside = _inside(relative, problems, ("files", position))
            if inside is not None:
                bundle_files.append(inside)
    if problems.found:
        raise InputError(problems.found)
    return OutputIndex(
        folder,
        document,
        str(data.get("hierarchy", "")),
        tuple(devices),
        tuple(configurations),
        tuple(order),
        tuple(bundle_files),
        registries,
    )


def written_by_us(folder: Path) -> OutputIndex | None:
    """The index of a folder acr-edge wrote, or None (no index, or not one of ours)."""
    try:
        return read_index(folder)
    except (InputError, OSError):
        return None


# --- what may be replaced -----------------------------------------------------------------


def _foreign_entries(folder: Path, index: OutputIndex) -> list[str]:
    """What is in `folder` that the index does not account for (a symbolic link never is).

    One scandir per folder, whose entries know their type: a 10,000-device folder is
    20,000 entries, and a stat of each cost seconds."""
    files = set(index.files())
    folders = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
    foreign = []
    pending = [(str(folder), "")]
    while pending:
        root, prefix = pending.pop()
        with os.scandir(root) as entries:
            for entry in entries:
                name = prefix + entry.name
                if entry.is_symlink():
                    foreign.append(name)
                elif entry.is_dir():
                    if name in folders:
                        pending.append((entry.path, name + "/"))
                    else:
                        foreign.append(name + "/")
                elif name not in files:
                    foreign.append(name)
    return sorted(foreign)


def _protected_reason(out: Path, inputs: Collection[Path]) -> str | None:
    """Why `out` must never be replaced, even with --force; None when it may be."""
    real = out.resolve()
    here = Path.cwd().resolve()
    if real == Path(real.anchor):
        return "it is the root of the file system"
    if real == Path.home().resolve():
        return "it is your home folder"
    if real == here or real in here.parents:
        return "it is the current folder or holds it"
    if os.path.ismount(real):
        return "it is a mount point (acr-edge replaces OUT by renaming; write into a folder in it)"
    if (real / ".git").exists():
        return "it holds a git repository (.git)"
    for path in inputs:
        with contextlib.suppress(OSError):
            source = path.resolve()
            if source == real or real in source.parents:
                return f"it holds an input of this run ({path})"
    return None


def check_replaceable(out: Path, *, force: bool, inputs: Collection[Path] = ()) -> None:
    """Refuse (UsageError) to replace a folder whose loss the user did not ask for."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out}: exists and is not a folder")
    if not out.exists():
        return
    reason = _protected_reason(out, inputs)
    if reason is not None:
        raise UsageError(f"{out}: refusing to replace it: {reason}; choose another -o")
    if not any(out.iterdir()) or force:
        return
    index = written_by_us(out)
    if index is None:
        raise UsageError(
            f"{out}: refusing to replace a folder acr-edge did not write "
            "(no acr-edge index.json in it); choose another -o or pass --force"
        )
    foreign = _foreign_entries(out, index)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise UsageError(
            f"{out}: refusing to replace it: it holds files acr-edge did not write ({shown}); "
            "move them, choose another -o, or pass --force to delete them"
        )


# --- writing ------------------------------------------------------------------------------


def _relative_parts(relative: str) -> tuple[str, ...]:
    """The parts of a relative POSIX path, refusing anything that leaves the folder."""
    parts = tuple(relative.split("/"))
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UsageError(f"refusing to write outside the output folder: {relative}")
    return parts


#: Written bytes after which a background flush starts (see StagedOutput.add).
FLUSH_EVERY = 8 * 1024 * 1024

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_file(root: str, relative: str, data: bytes, mode: int) -> None:
    try:
        descriptor = os.open(f"{root}/{relative}", _CREATE, mode)
    except FileExistsError:
        raise UsageError(
            f"refusing to write {relative} twice (two devices share an id, or ids that differ "
            "only in case on a case-insensitive file system?)"
        ) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _exchange(new: Path, old: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where the
    system or file system cannot."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(new), at_cwd, os.fsencode(old), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def _replace(staging: Path, out: Path, retired: Path) -> Path:
    """Put `staging` in the place of `out`, and say where the old folder is now. At every
    instant `out` is the old folder or the new one: swapped in one step where the system
    can; elsewhere by two renames, whose gap a later run repairs (see _repair)."""
    if not out.exists():
        staging.rename(out)
        return retired  # nothing there
    if _exchange(staging, out):
        return staging
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    return retired


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.acr-edge-(?P<kind>new|old)-[0-9a-f]{12}")


def _repair(out: Path) -> None:
    """Clear what killed runs left beside OUT (hidden staging folders, some holding inlined
    secrets), and put the old OUT back if a run was killed between two renames."""
    for entry in sorted(out.parent.iterdir()):
        match = _LEFTOVER.fullmatch(entry.name)
        if not match or match["name"] != out.name or not entry.is_dir() or entry.is_symlink():
            continue
        if match["kind"] == "old" and not out.exists():
            entry.rename(out)
        else:
            shutil.rmtree(entry)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One acr-edge writer at a time in `folder` (an advisory lock the kernel drops when the
    process ends, however it ends)."""
    import fcntl

    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"{folder}: another acr-edge run is writing here; try again when it has ended"
            ) from None
        yield
    finally:
        os.close(descriptor)


def _os_error(error: OSError, what: Path) -> UsageError:
    """One line naming OUT and the system's reason (not a hidden staging path)."""
    reason = error.strerror or type(error).__name__
    where = str(error.filename or "")
    detail = f" ({where})" if where and ".acr-edge-" not in where and where != str(what) else ""
    return UsageError(f"cannot write {what}: {reason}{detail}")


class StagedOutput:
    """A new OUT being written: files go to a hidden sibling folder, which replaces OUT in
    one step on commit() and is removed if the block ends without it.

    Interrupted at any point, OUT is either the old folder or the new one, never a mix; a
    killed run's hidden folder is removed by the next run. `private`: files 0600 and
    folders 0700 (the output holds inlined secrets).
    """

    def __init__(
        self,
        out: Path,
        *,
        force: bool = False,
        private: bool = False,
        inputs: Collection[Path] = (),
    ) -> None:
        self.out = out
        self._file_mode = 0o600 if private else 0o644
        self._folder_mode = 0o700 if private else 0o755
        self._folders: set[str] = set()
        self._committed = False
        self._unflushed = 0
        self._flushing: threading.Thread | None = None
        self._lock: contextlib.ExitStack | None = None
        try:
            existing = next(p for p in out.absolute().parents if p.exists())
            if not existing.is_dir():
                raise UsageError(f"cannot write {out}: {existing} is not a folder")
            out.parent.mkdir(parents=True, exist_ok=True)
            self._lock = contextlib.ExitStack()
            self._lock.enter_context(_locked(out.parent))
            try:
                _repair(out)
                check_replaceable(out, force=force, inputs=inputs)
                token = uuid.uuid4().hex[:12]
                self.staging = out.parent / f".{out.name}.acr-edge-new-{token}"
                self._retired = out.parent / f".{out.name}.acr-edge-old-{token}"
                self._root = str(self.staging)
                self.staging.mkdir(mode=self._folder_mode)
            except BaseException:
                self._lock.close()
                raise
        except OSError as error:
            raise _os_error(error, out) from None

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if not self._committed:
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            if self._lock is not None:
                self._lock.close()

    def add(self, relative: str, data: bytes, *, mode: int | None = None) -> None:
        """Write one file (a relative POSIX path), making the folders it needs; `mode`
        overrides the folder's file mode (a key 0600, a script 0755).

        One process writes, each folder is made once, with plain string paths: creating
        files is kernel work serialised on each folder's lock, which more writers only
        contend for (10,000 manifests: 0.5 s from one thread, 0.9-1.3 s from 2 to 8).
        """
        parts = _relative_parts(relative)
        folder = ""
        try:
            for part in parts[:-1]:
                folder = f"{folder}/{part}" if folder else part
                if folder not in self._folders:
                    os.mkdir(f"{self._root}/{folder}", self._folder_mode)  # noqa: PTH102
                    self._folders.add(folder)
            _write_file(self._root, relative, data, self._file_mode if mode is None else mode)
        except FileExistsError:
            raise UsageError(
                f"refusing to write {folder}/ twice (device ids that differ only in case "
                "collide on a case-insensitive file system)"
            ) from None
        except OSError as error:
            raise _os_error(error, self.out) from None
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
        # cost seconds, and the swap below must not land before the data does.
        if self._flushing is not None:
            self._flushing.join()
        os.sync()  # what the background flushes did not cover
        try:
            old = _replace(self.staging, self.out, self._retired)
        except OSError as error:
            raise _os_error(error, self.out) from None
        self._committed = True
        shutil.rmtree(old, ignore_errors=True)


def write_tree(
    out: Path, files: Mapping[str, bytes], *, force: bool = False, private: bool = False
) -> None:
    """Replace `out` with exactly `files` (relative POSIX paths → bytes), atomically."""
    for relative in files:  # refused before anything is written
        _relative_parts(relative)
    with StagedOutput(out, force=force, private=private) as staged:
        for relative, data in files.items():
            staged.add(relative, data)
        staged.commit()
