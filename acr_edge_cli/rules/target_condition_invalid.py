"""An automatic deployment's target condition is empty, uses double quotes, or is not over
device twin tags or the device id. An empty condition targets no device; IoT Edge
deployments may only target by `tags.` or `deviceId`, and the query language takes single
quotes (`''` escapes one). Fix: e.g. `tags.site='munich' AND tags.purdue='L3'`."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext

NAME = "target-condition-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "empty, double-quoted, or not over `tags.` / `deviceId`"
OVER_TAGS_OR_ID = re.compile(r"\btags\.|\bdeviceId\b")
OTHER_FIELDS = re.compile(r"\bproperties\.|\bcapabilities\.|\bstatus\b")


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    if context.standalone:
        return  # a layered deployment's content alone has no target condition or id
    content = context.content.get("content")
    if not isinstance(content, dict) or "modulesContent" not in content:
        return  # module and device configurations have their own condition language
    condition = context.content.get("targetCondition")
    path = ("targetCondition",)
    if condition is None or (isinstance(condition, str) and not condition.strip()):
        yield Finding(
            path if condition is not None else (),
            "the target condition is empty; no device is targeted",
        )
        return
    if not isinstance(condition, str):
        return  # the schema reports the type
    if '"' in condition:
        yield Finding(
            path, "the target condition uses double quotes; write values in single quotes"
        )
    if not OVER_TAGS_OR_ID.search(condition) or OTHER_FIELDS.search(condition):
        yield Finding(
            path,
            f"the target condition {condition!r} must be over tags.<name> or deviceId only",
        )
