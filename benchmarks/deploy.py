"""Deploy N devices against the local IoT Hub (tests/iothub) with injected latency, as a
whole `acr-edge deploy` process: devices a second, and the busiest second against the cap.

    python benchmarks/deploy.py --devices 1000 --latency 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from make_hierarchy import hierarchy  # noqa: E402

from acr_edge_cli.generate import generate, write_generated  # noqa: E402
from tests.iothub.server import Faults, running_hub  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=None, help="pass --rate to deploy")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        source = root / "fleet.yaml"
        source.write_text(hierarchy(options.devices))
        out = root / "out"
        env = {**os.environ, "SYNC_PASSWORD": "not-a-real-secret"}
        write_generated(generate(source, output=str(out), environ=env), out)
        index = json.loads((out / "index.json").read_text())
        with running_hub(root, Faults(latency=options.latency)) as running:
            for device in index["devices"]:
                running.hub.add_device(device["id"], parent=device["parent"])
            command = [sys.executable, "-m", "acr_edge_cli", "deploy", str(out), "--yes",
                       "--format", "json"]  # fmt: skip
            if options.rate:
                command += ["--rate", str(options.rate)]
            env.update(
                REQUESTS_CA_BUNDLE=str(running.ca_file),
                IOTHUB_CONNECTION_STRING=running.connection_string,
            )
            start = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            times = sorted(running.hub.request_times)
            busiest, left = 0, 0
            for right, moment in enumerate(times):
                while moment - times[left] >= 1.0:
                    left += 1
                busiest = max(busiest, right - left + 1)
        report = json.loads(done.stdout)
        print(
            json.dumps(
                {
                    "devices": options.devices,
                    "latency_s": options.latency,
                    "exit_code": done.returncode,
                    "summary": {k: v for k, v in report["summary"].items() if v},
                    "wall_s": round(wall, 2),
                    "devices_per_s": round(options.devices / wall, 1),
                    "requests": len(times),
                    "busiest_second_requests": busiest,
                    "rate_cap": options.rate or 200.0,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
