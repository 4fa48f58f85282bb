"""Stopping `acr-edge generate` half-way (Ctrl-C, a cancelled CI job) leaves the previous
output as it was, no half-written folder, no worker behind and no traceback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES.parent / "benchmarks"))
from make_hierarchy import hierarchy

DEVICES = 5000  # rendering takes a few seconds: long enough to stop it in the middle


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait_for(ready: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _stop(process: subprocess.Popen[str]) -> None:
    """Never leave the command behind, whatever the test found."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _generate_over_an_earlier_output(
    tmp_path: Path,
) -> tuple[subprocess.Popen[str], Path, dict[str, bytes]]:
    """A generate of a large fleet started into an OUT that an earlier run wrote: (the
    process, OUT, OUT's files before)."""
    source = tmp_path / "fleet.yaml"
    source.write_text(hierarchy(DEVICES), encoding="utf-8")
    env = {**os.environ, "SYNC_PASSWORD": "stop-secret-Hq3", "NO_COLOR": "1"}
    out = tmp_path / "out"
    command = [sys.executable, "-m", "acr_edge_cli", "generate", str(EXAMPLES / "two-layer.yaml")]
    subprocess.run([*command, "-o", str(out)], env=env, check=True, capture_output=True)
    before = _tree(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "acr_edge_cli", "generate", str(source), "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    return process, out, before


@pytest.mark.parametrize(
    ("how", "code"),
    [("SIGINT to the process group", 130), ("SIGTERM to the command", 143)],
)
def test_a_stopped_generate_leaves_the_previous_output(tmp_path: Path, how: str, code: int) -> None:
    process, out, before = _generate_over_an_earlier_output(tmp_path)
    try:
        # Stop it once manifests are being written next to OUT, while the workers render.
        _wait_for(lambda: any(tmp_path.glob(".out.acr-edge-new-*/layer-2")), process)
        workers = _children_of(process.pid)
        if how.startswith("SIGINT"):
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        _stop(process)

    assert process.returncode == code
    assert "Traceback" not in stderr and "Process ForkPoolWorker" not in stderr, stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.yaml", "out"]
    assert workers and not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_killed_worker_ends_generate_with_an_error_not_a_wait(tmp_path: Path) -> None:
    process, out, before = _generate_over_an_earlier_output(tmp_path)
    try:
        _wait_for(lambda: len(_children_of(process.pid)) >= 2, process)
        os.kill(_children_of(process.pid)[0], signal.SIGKILL)  # as the OOM killer would
        _, stderr = process.communicate(timeout=60)
    finally:
        _stop(process)
    assert process.returncode == 2
    assert stderr.endswith(
        "error: a worker process ended unexpectedly (killed, or out of memory); "
        "nothing was written\n"
    ), stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.yaml", "out"]


def test_a_stopped_deploy_says_which_devices_it_applied(tmp_path: Path) -> None:
    from acr_edge_cli.generate import generate, write_generated
    from tests.conftest import SECRETS
    from tests.iothub.server import Faults, running_hub

    out = tmp_path / "out"
    write_generated(generate(EXAMPLES / "factory-isa95.yaml", output=str(out), environ={}), out)
    parents = {"plant-dmz": None, "plant-site-ops": "plant-dmz",
               "line-1-controller": "plant-site-ops", "line-2-controller": "plant-site-ops"}  # fmt: skip
    with running_hub(tmp_path, Faults(latency=0.3)) as running:
        for device, parent in parents.items():
            running.hub.add_device(device, parent=parent)
        env = {**os.environ, **SECRETS, "NO_COLOR": "1", "COLUMNS": "200",
               "REQUESTS_CA_BUNDLE": str(running.ca_file),
               "IOTHUB_CONNECTION_STRING": running.connection_string}  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "acr_edge_cli", "deploy", str(out), "--yes"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            # stop it once the top layer is applied, while the next one is on its way
            _wait_for(
                lambda: any(
                    m == "POST" and "plant-dmz" in p and s == 204
                    for m, p, s in running.hub.requests
                ),
                process,
            )
            time.sleep(0.1)
            os.killpg(process.pid, signal.SIGINT)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            _stop(process)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    rows = {line.split()[0]: line.split()[2] for line in stdout.splitlines()[1:-1]}
    assert rows["plant-dmz"] == "applied"
    assert set(rows.values()) <= {"applied", "interrupted"}
    assert "the outcomes above are all this run did before it was stopped\n" in stderr


def _on_a_terminal(arguments: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run acr-edge with a pseudo-terminal as its stdout and stderr: (exit code, output)."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "acr_edge_cli", *arguments],
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    return process.wait(timeout=60), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)


def test_a_large_fleet_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    source = tmp_path / "fleet.yaml"
    source.write_text(hierarchy(DEVICES), encoding="utf-8")
    env = {**os.environ, "SYNC_PASSWORD": "progress-Kq2", "COLUMNS": "100"}
    code, shown = _on_a_terminal(["validate", str(source)], env)
    assert code == 0, shown
    assert f"/{DEVICES} devices" in shown  # the bar's count
    piped = subprocess.run(
        [sys.executable, "-m", "acr_edge_cli", "validate", str(source)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "devices" not in piped.stdout + piped.stderr
    as_json = _on_a_terminal(["validate", str(source), "--format", "json"], env)[1]
    assert f"/{DEVICES} devices" not in as_json
