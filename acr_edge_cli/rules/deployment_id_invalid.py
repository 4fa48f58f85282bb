"""An automatic deployment's id breaks IoT Hub's rules: at most 128 lowercase characters,
no spaces and none of `& ^ [ ] { } \\ | " < > /`. The hub refuses it (`az iot` lowercases
ids silently, so the deployed id would not be the one in the file). Fix: use lowercase
letters, digits and `-`, e.g. `contoso-plant-layer-0-v3`."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext

NAME = "deployment-id-invalid"
SEVERITY = Severity.ERROR
SUMMARY = 'id not lowercase, over 128 chars, or holds a space or one of `& ^ [ ] { } \\ | " < > /`'
FORBIDDEN = re.compile(r'[\s&^\[\]{}\\|"<>/]')
LIMIT = 128


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    identifier = context.content.get("id")
    if not isinstance(identifier, str):
        return  # the schema reports a missing id
    problems = []
    if identifier != identifier.lower():
        problems.append("is not lowercase")
    if len(identifier) > LIMIT:
        problems.append(f"is {len(identifier)} characters (at most {LIMIT})")
    bad = sorted(set(FORBIDDEN.findall(identifier)))
    if bad:
        problems.append("holds " + " ".join(repr(c) for c in bad))
    if problems:
        yield Finding(("id",), f"deployment id {identifier!r} {', '.join(problems)}")
