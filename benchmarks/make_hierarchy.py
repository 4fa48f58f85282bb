"""Write a synthetic hierarchy of N devices: 3 layers, fan-out 100, a connected registry on
every device (so an API proxy on every one), two user modules each.

    python benchmarks/make_hierarchy.py 10000 > fleet.yaml
"""

from __future__ import annotations

import argparse
import sys

REPOSITORIES = [
    "acr/connected-registry",
    "azureiotedge-agent",
    "azureiotedge-hub",
    "azureiotedge-api-proxy",
    "azureiotedge-diagnostics",
    "contoso/sensor",
    "contoso/historian",
]
FAN_OUT = 100


def _device(index: int, indent: str) -> list[str]:
    name = f"reg{index:06d}"
    lines = [
        f"{indent}- id: device-{index:06d}",
        f"{indent}  hostname: device-{index:06d}.plant.contoso.local",
        f"{indent}  connected_registry:",
        f"{indent}    name: {name}",
        f"{indent}    mode: ReadOnly" if index else f"{indent}    mode: ReadWrite",
        f"{indent}    repositories: [{', '.join(REPOSITORIES)}]",
        f"{indent}    sync_token: {{name: {name}-sync, password: '${{SYNC_PASSWORD}}'}}",
        f"{indent}  modules:",
        f"{indent}    sensor:",
        f"{indent}      image: contoso/sensor:2.1.0",
        f"{indent}      env: {{INTERVAL: '5', UNIT: celsius}}",
        f"{indent}      create_options: {{HostConfig: {{LogConfig: {{Type: json-file, "
        f"Config: {{max-size: 10m}}}}}}}}",
        f"{indent}    historian:",
        f"{indent}      image: contoso/historian:1.4.2",
        f"{indent}      create_options: {{HostConfig: {{Binds: ['/srv/historian:/data']}}}}",
        f"{indent}      desired_properties: {{retentionDays: 30}}",
    ]
    return lines


def hierarchy(count: int) -> str:
    """Breadth first: top devices, then up to 100 children each, then 100 grandchildren each."""
    layer_sizes: list[int] = []
    remaining = count
    tops = max(1, -(-count // (1 + FAN_OUT + FAN_OUT * FAN_OUT)))
    layer_sizes.append(min(tops, remaining))
    remaining -= layer_sizes[0]
    while remaining > 0 and len(layer_sizes) < 3:
        size = min(remaining, layer_sizes[-1] * FAN_OUT)
        layer_sizes.append(size)
        remaining -= size
    # children[i] = how many children device i of the previous layer gets (filled in order)
    lines = [
        "version: 1",
        "name: synthetic-fleet",
        "cloud_registry:",
        "  login_server: contosofleet.azurecr.io",
        "  data_endpoint: contosofleet.westeurope.data.azurecr.io",
        "devices:",
    ]
    index = 0

    def emit(layer: int, indent: str, count_here: int) -> None:
        nonlocal index
        for _ in range(count_here):
            lines.extend(_device(index, indent))
            index += 1
            if layer + 1 < len(layer_sizes) and budgets[layer + 1] > 0:
                take = min(FAN_OUT, budgets[layer + 1])
                budgets[layer + 1] -= take
                lines.append(f"{indent}  children:")
                emit(layer + 1, indent + "    ", take)

    budgets = list(layer_sizes)
    budgets[0] = 0
    emit(0, "  ", layer_sizes[0])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("devices", type=int, help="how many devices")
    sys.stdout.write(hierarchy(parser.parse_args().devices))
