"""Reports as people read them: long findings wrap on a terminal, and stay one line in logs."""

from __future__ import annotations

import io

from rich.console import Console

from acr_edge_cli import reporting
from acr_edge_cli.diagnostics import Diagnostic, Severity

LONG = (
    "IoTEdgeAPIProxy: BLOB_UPLOAD_ROUTE_ADDRESS points at 'AzureBlobStorageonIoTEdge', "
    "which is not a module of this deployment"
)
FINDING = Diagnostic("out/layer-0/top/deployment.json", 72, 26, "proxy-route-target-unknown",
                     Severity.WARNING, LONG)  # fmt: skip


def _printed(terminal: bool, width: int = 60) -> str:
    stream = io.StringIO()
    console = Console(file=stream, width=width, force_terminal=terminal, no_color=True,
                      soft_wrap=True, highlight=False)  # fmt: skip
    reporting.print_diagnostics(console, [FINDING], lambda rule: "write the module's name exactly")
    return stream.getvalue()


def test_long_findings_wrap_under_their_column_on_a_terminal() -> None:
    lines = _printed(terminal=True).splitlines()
    assert all(len(line) <= 60 for line in lines), lines
    assert lines[1].startswith("  72:26    warning  IoTEdgeAPIProxy:")
    assert all(line.startswith(" " * 20) for line in lines[2:4])
    words = " ".join(line.strip() for line in lines[1:4])
    assert "'AzureBlobStorageonIoTEdge'," in words  # never broken inside a word


def test_findings_stay_one_line_in_logs() -> None:
    lines = _printed(terminal=False).splitlines()
    assert lines[1] == f"  72:26    warning  {LONG}  [proxy-route-target-unknown]"


def test_rule_explanations_wrap_on_a_terminal() -> None:
    from acr_edge_cli import rules

    stream = io.StringIO()
    console = Console(file=stream, width=50, force_terminal=True, no_color=True, soft_wrap=True)
    reporting.print_rule_explanations(console, [rules.get("host-port-conflict")])
    lines = stream.getvalue().splitlines()
    assert len(lines) > 3 and all(len(line) <= 50 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:-1])
