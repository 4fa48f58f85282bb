"""Stopping `acr-edge generate` half-way (Ctrl-C, a cancelled CI job) leaves the previous
output as it was, no half-written folder, no worker behind and no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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


@pytest.mark.parametrize(
    ("how", "code"),
    [("SIGINT to the process group", 130), ("SIGTERM to the command", 143)],
)
def test_a_stopped_generate_leaves_the_previous_output(tmp_path: Path, how: str, code: int) -> None:
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
    # Stop it once manifests are being written next to OUT, while the workers render.
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".out.acr-edge-new-*/layer-2")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    workers = _children_of(process.pid)
    if how.startswith("SIGINT"):
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == code
    assert "Traceback" not in stderr and "Process ForkPoolWorker" not in stderr, stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.yaml", "out"]
    assert workers and not any(Path(f"/proc/{pid}").exists() for pid in workers)
