"""A string value in a twin is over 4 KB (4096 bytes as UTF-8), the IoT Hub limit for any
single property value. The hub refuses the whole deployment with `Property or Tag value
should be maximum 4096 bytes`. Fix: shorten the value; for createOptions, split it into
512-character chunks; for an nginx `proxy_config`, shrink it or bind-mount the file."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import TWIN_VALUE_LIMIT, ManifestContext

NAME = "twin-value-too-large"
SEVERITY = Severity.ERROR
SUMMARY = "a string value in any twin is over 4096 bytes (UTF-8)"
LIMIT = TWIN_VALUE_LIMIT


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for path, size in context.twin_sizes[1]:
        yield Finding(path, f"value is {size} bytes; a twin value holds at most {LIMIT}")
