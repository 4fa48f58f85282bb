"""What stands in for a value that is filled in later: the one place that decides it.

Deployment templates (VS Code, iotedgedev) hold `${VAR}`, `$VAR`, `${MODULES.<name>}`,
`${MODULEDIR<path>}` and `%NAME%` tokens; documentation samples hold `<password>` slots;
files acr-edge writes keep secrets as `${NAME}`. A placeholder is unknown, not wrong: a
check that needs its value stays silent, the others still run. The secrets module asks
here whether a value is a placeholder rather than a literal secret.

`$upstream`, `$edgeAgent`, `$edgeHub` and the variables the runtime itself fills in
(`$IOTEDGE_PARENTHOSTNAME`, ...) are not placeholders: they have a meaning on the device.
"""

from __future__ import annotations

import re

#: `$` words the IoT Edge runtime and the API proxy read themselves.
RUNTIME_WORDS = frozenset({"$upstream", "$edgeagent", "$edgehub", "$connectionmetadata"})
_RUNTIME_PREFIX = "$IOTEDGE_"

# `${...}` (MODULES.x, MODULEDIR<./x>.arm64, VAR), `$VAR`, `%NAME%`, `#NAME#` (replaced by
# sed in some samples' pipelines), `<slot>`, `{{ name }}`.
_TOKEN = re.compile(
    r"\$\{[^{}]*\}|\$[A-Za-z_][A-Za-z0-9_.]*|%[A-Za-z_][A-Za-z0-9_.]*%|#[A-Za-z_][A-Za-z0-9_.]*#"
    r"|<[^<>]*>|\{\{[^{}]*\}\}"
)


def _is_token(text: str) -> bool:
    lowered = text.lower()
    if lowered in RUNTIME_WORDS or text.startswith(_RUNTIME_PREFIX):
        return False
    if text.startswith("<"):
        # `<REPLACE_WITH_...>`, `<CR.Password>`; not an XML-ish fragment with spaces around
        return len(text) > 2 and not text[1].isspace()
    return True


def tokens(value: str) -> list[str]:
    """The placeholders in a value, in order."""
    return [match.group(0) for match in _TOKEN.finditer(value) if _is_token(match.group(0))]


def has_placeholder(value: object) -> bool:
    """True for a string holding at least one placeholder: its real value is unknown."""
    if not isinstance(value, str) or not any(mark in value for mark in "$%#<{"):
        return False
    return bool(tokens(value))


#: How documentation redacts a value: `xxxxxxxxxxxxxxxx`, `********`, `...`.
_REDACTED = re.compile(r"[xX*]{3,}|\.{3}|…")


def is_placeholder(value: str) -> bool:
    """True for a value made only of placeholders and spaces, or empty, or redacted."""
    rest = _TOKEN.sub(lambda m: "" if _is_token(m.group(0)) else m.group(0), value)
    return not rest.strip() or _REDACTED.fullmatch(rest.strip()) is not None


_BRACED = re.compile(r"\$\{[^{}]*\}|%[A-Za-z_][A-Za-z0-9_.]*%|#[A-Za-z_][A-Za-z0-9_.]*#")


def neutral_braced(value: str) -> str:
    """The value with each `${...}`, `%NAME%` and `#NAME#` placeholder replaced by as many `x`, for
    text where `$word` has a meaning of its own (a route's `$upstream`, `$body.x`); every
    other character keeps its place."""
    return _BRACED.sub(lambda match: "x" * len(match.group(0)), value)


#: A bare `${NAME}` outside a JSON string, as templates write numbers and booleans
#: (`"timeToLiveSecs": ${TTL}`).
_BARE = re.compile(r'("(?:[^"\\]|\\.)*")|\$\{([A-Za-z_][A-Za-z0-9_]*)\}')


def quote_bare_placeholders(text: str) -> str:
    """JSON text with every bare `${NAME}` turned into the string `"$NAME"` of the same
    length, so that the template parses and every line and column stays where it was."""

    def replace(match: re.Match[str]) -> str:
        return match.group(1) if match.group(1) is not None else f'"${match.group(2)}"'

    return _BARE.sub(replace, text) if "${" in text else text
