"""A deployment label breaks IoT Hub's rules: keys and values of at most 128 ASCII letters,
digits and `- : . + % _ # * ? ! ( ) , = @ ; '`; `$` is reserved. The hub refuses the
deployment. Fix: shorten the label or replace the other characters, e.g. with `-`."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext

NAME = "labels-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "a label key or value breaks the IoT Hub character rules or is over 128 chars"
ALLOWED = re.compile(r"[A-Za-z0-9\-:.+%_#*?!(),=@;']{1,128}")


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    labels = context.content.get("labels")
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        if not ALLOWED.fullmatch(key):
            yield Finding(("labels", key), f"label key {key!r} breaks the label rules", on_key=True)
        if isinstance(value, str) and not ALLOWED.fullmatch(value):
            yield Finding(("labels", key), f"label {key!r}: value {value!r} breaks the label rules")
