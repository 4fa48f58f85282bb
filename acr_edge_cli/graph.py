"""The hierarchy as a graph: devices, their layers, registries and proxies.

`graph_nodes` is the data; `mermaid` and `dot` are text renderings for documentation (the
terminal tree is drawn by reporting, which owns rich).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from acr_edge_cli.plan import HierarchyPlan


@dataclass(frozen=True)
class GraphNode:
    id: str
    parent: str | None
    layer: int
    registry: str | None  # "name (mode)"
    repositories: tuple[str, ...]
    proxy_port: int | None

    def label_lines(self) -> list[str]:
        lines = [self.id, f"layer {self.layer}"]
        if self.registry:
            lines.append(f"registry {self.registry}")
            lines.append(f"{len(self.repositories)} repositories")
        if self.proxy_port is not None:
            lines.append(f"API proxy :{self.proxy_port}")
        return lines


def graph_nodes(plan: HierarchyPlan) -> list[GraphNode]:
    return [
        GraphNode(
            id=device.id,
            parent=device.parent.id if device.parent else None,
            layer=device.layer,
            registry=(
                f"{device.registry.name} ({device.registry.mode})" if device.registry else None
            ),
            repositories=device.registry.repositories if device.registry else (),
            proxy_port=device.proxy.port if device.proxy else None,
        )
        for device in plan.devices
    ]


def _keyed(
    nodes: list[GraphNode],
) -> tuple[list[tuple[str, GraphNode]], list[tuple[str, str, str]]]:
    """(key, node) pairs and (source, label, target) edges, the cloud registry as `cloud`.

    Keys are `d<N>`: device ids may hold characters neither Mermaid nor DOT take in an
    identifier. An edge says whether the child's connected registry syncs from its parent
    or the child only pulls through it.
    """
    keys = {node.id: f"d{index}" for index, node in enumerate(nodes)}
    edges = [
        (
            keys[node.parent] if node.parent else "cloud",
            "sync" if node.registry else "pull",
            keys[node.id],
        )
        for node in nodes
    ]
    return [(keys[node.id], node) for node in nodes], edges


def _mermaid_text(text: str) -> str:
    return re.sub(r'["<>{}\[\]]', lambda m: f"#{ord(m.group(0))};", text)


def mermaid(nodes: list[GraphNode], *, cloud: str) -> str:
    """A Mermaid flowchart, top-down, the cloud registry on top."""
    keyed, edges = _keyed(nodes)
    lines = ["flowchart TD", f'    cloud[("{_mermaid_text(cloud)}")]']
    for key, node in keyed:
        label = "<br/>".join(_mermaid_text(line) for line in node.label_lines())
        lines.append(f'    {key}["{label}"]')
    lines += [f"    {source} -->|{label}| {target}" for source, label, target in edges]
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(nodes: list[GraphNode], *, cloud: str) -> str:
    """A Graphviz digraph, top-down, the cloud registry on top."""
    keyed, edges = _keyed(nodes)
    lines = [
        "digraph hierarchy {",
        "    rankdir=TB;",
        '    node [shape=box, fontname="Helvetica"];',
        f'    cloud [label="{_dot_text(cloud)}", shape=cylinder];',
    ]
    for key, node in keyed:
        label = "\\n".join(_dot_text(line) for line in node.label_lines())
        lines.append(f'    {key} [label="{label}"];')
    lines += [f'    {source} -> {target} [label="{label}"];' for source, label, target in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"
