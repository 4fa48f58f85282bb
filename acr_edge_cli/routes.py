"""edgeHub's route language, as edgeHub parses it: one bad route and edgeHub refuses the
whole configuration, so routes are checked before they reach a device.

Written from the grammar in Azure/iotedge (edge-hub/core/.../Routing.Core/grammar:
Route.g4, Condition.g4, GrammarLexer.g4) and from what edgeHub does with the parse:

    route     : [SELECT '*'] FROM source [WHERE condition] INTO sink
    source    : ('/' ('*' | ID))+
    sink      : SYS_PROP                      -- only `$upstream` (any case)
              | ID '(' STRING ')'             -- only BrokeredEndpoint (any case), whose
                                              -- address splits into 4 parts by '/'
    condition : an expression of literals, properties, `$` system properties, function
                calls, unary - and NOT, * / % + - || < <= > >= = != <> AND OR ??, parens

Tokens are matched longest first, as ANTLR's lexer does; ties go to the earlier rule, so
`*` alone is the operator and `a-b` is one identifier. The parser stops after the sink, as
edgeHub's does (its start rule has no EOF).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID_CHARS = r"[^()<>@,;:\\\"/\[\]?={} \t\n\r]"
_QUERY_PATH_CHARS = r"[^()<>@,;:\\\"/?={} \t\n\r]"

# (kind, pattern) in the lexer's order; the longest match wins, the first on a tie.
_TOKEN_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("SELECT", r"[Ss][Ee][Ll][Ee][Cc][Tt]"),
        ("FROM", r"[Ff][Rr][Oo][Mm]"),
        ("WHERE", r"[Ww][Hh][Ee][Rr][Ee]"),
        ("INTO", r"[Ii][Nn][Tt][Oo]"),
        (
            "STRING",
            r"\"(?:\\[\"'\\]|\\u[0-9a-fA-F]{4}|[^\"\\])*\""
            r"|'(?:\\[\"'\\]|\\u[0-9a-fA-F]{4}|[^'\\])*'",
        ),
        (
            "UNTERMINATED",
            r"\"(?:\\[\"'\\]|\\u[0-9a-fA-F]{4}|[^\"\\])*"
            r"|'(?:\\[\"'\\]|\\u[0-9a-fA-F]{4}|[^'\\])*",
        ),
        ("INTEGER", r"-?[0-9]+"),
        ("HEX", r"0[Xx][0-9a-fA-F]+"),
        ("REAL", r"-?[0-9]*\.[0-9]+(?:[Ee][+\-]?[0-9]+)?|-?[0-9]*[Ee][+\-]?[0-9]+"),
        ("TRUE", r"true"),
        ("FALSE", r"false"),
        ("NULL", r"null"),
        ("UNDEFINED", r"undefined"),
        ("(", r"\("),
        (")", r"\)"),
        (",", r","),
        ("+", r"\+"),
        ("-", r"-"),
        ("*", r"\*"),
        ("/", r"/"),
        ("%", r"%"),
        ("AND", r"[Aa][Nn][Dd]"),
        ("OR", r"[Oo][Rr]"),
        ("NOT", r"[Nn][Oo][Tt]"),
        ("=", r"="),
        ("!=", r"!="),
        ("<>", r"<>"),
        ("<=", r"<="),
        (">=", r">="),
        (">", r">"),
        ("<", r"<"),
        ("||", r"\|\|"),
        ("??", r"\?\?"),
        ("SYS_PROP", rf"\${_QUERY_PATH_CHARS}+"),
        ("ID", rf"{_ID_CHARS}+"),
        ("QUERY_PATH", rf"{_QUERY_PATH_CHARS}+"),
        ("WS", r"[ \t\r\n]+"),
        ("COMMENT", r"/\*.*?\*/"),
        ("{", r"\{"),
        ("}", r"\}"),
    )
)
_LITERALS = {"STRING", "INTEGER", "HEX", "REAL", "TRUE", "FALSE", "NULL", "UNDEFINED"}
# Binary operators by precedence, loosest first (Condition.g4 lists them tightest first).
_BINARY_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"??"}),
    frozenset({"OR"}),
    frozenset({"AND"}),
    frozenset({"=", "!=", "<>"}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-", "||"}),
    frozenset({"*", "/", "%"}),
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int


class RouteSyntaxError(Exception):
    """Where and why a route does not parse (offset into the route text)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        kind, end = "UNKNOWN", position + 1  # UNKNOWN_CHAR: one character
        longest = 0
        for rule, pattern in _TOKEN_RULES:
            match = pattern.match(text, position)
            if match and match.end() - position > longest:  # a tie keeps the earlier rule
                kind, end, longest = rule, match.end(), match.end() - position
        if kind not in ("WS", "COMMENT"):
            tokens.append(Token(kind, text[position:end], position))
        position = end
    tokens.append(Token("EOF", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def fail(self, expected: str) -> RouteSyntaxError:
        token = self.token
        found = "the end of the route" if token.kind == "EOF" else repr(token.text)
        return RouteSyntaxError(f"expected {expected} at {found}", token.offset)

    def take(self, kind: str, expected: str) -> Token:
        if self.token.kind != kind:
            raise self.fail(expected)
        token = self.token
        self.index += 1
        return token

    def route(self) -> None:
        if self.token.kind == "SELECT":
            self.index += 1
            self.take("*", "'*' after SELECT")
        self.take("FROM", "FROM")
        self.source()
        if self.token.kind == "WHERE":
            self.index += 1
            self.expression(0)
        self.take("INTO", "WHERE <condition> or INTO")
        self.sink()

    def source(self) -> None:
        if self.token.kind != "/":
            raise self.fail("a source path starting with '/' (e.g. /messages/*)")
        while self.token.kind == "/":
            self.index += 1
            if self.token.kind in ("*", "ID"):
                self.index += 1
            else:
                raise self.fail("a path part after '/'")

    def sink(self) -> None:
        token = self.token
        if token.kind == "SYS_PROP":
            self.index += 1
            if token.text.lower() != "$upstream":
                raise RouteSyntaxError(
                    f"system endpoint {token.text!r} is not supported; use $upstream",
                    token.offset,
                )
            return
        if token.kind != "ID":
            raise self.fail('$upstream or BrokeredEndpoint("/modules/<module>/inputs/<input>")')
        self.index += 1
        self.take("(", "'(' after the endpoint function")
        address = self.take("STRING", "a quoted endpoint address")
        self.take(")", "')' after the endpoint address")
        if token.text.lower() != "brokeredendpoint":
            raise RouteSyntaxError(
                f"endpoint function {token.text!r} is not supported; use BrokeredEndpoint",
                token.offset,
            )
        parts = address.text[1:-1].strip().strip("/").split("/")
        if len(parts) != 4 or not all(parts):
            raise RouteSyntaxError(
                f"endpoint address {address.text} is not /modules/<module>/inputs/<input>",
                address.offset,
            )

    # condition: precedence climbing over _BINARY_LEVELS
    def expression(self, level: int) -> None:
        if level == len(_BINARY_LEVELS):
            self.unary()
            return
        self.expression(level + 1)
        while self.token.kind in _BINARY_LEVELS[level]:
            self.index += 1
            self.expression(level + 1)

    def unary(self) -> None:
        kind = self.token.kind
        if kind in ("-", "NOT"):
            self.index += 1
            self.unary()
            return
        if kind in _LITERALS or kind == "SYS_PROP":
            self.index += 1
            return
        if kind == "UNTERMINATED":
            raise RouteSyntaxError("a string is not closed", self.token.offset)
        if kind == "{":
            self.index += 1
            self.take("SYS_PROP", "a $ system property inside { }")
            self.take("}", "'}'")
            return
        if kind == "ID":
            self.index += 1
            if self.token.kind == "(":
                self.index += 1
                if self.token.kind != ")":
                    self.expression(0)
                    while self.token.kind == ",":
                        self.index += 1
                        self.expression(0)
                self.take(")", "')' closing the function call")
            return
        if kind == "(":
            self.index += 1
            self.expression(0)
            self.take(")", "')'")
            return
        raise self.fail("a value, property or function call")


def route_error(text: str) -> RouteSyntaxError | None:
    """Why edgeHub would refuse the route, or None when it parses."""
    try:
        _Parser(text).route()
    except RouteSyntaxError as error:
        return error
    except RecursionError:
        return RouteSyntaxError("the condition is nested too deeply", 0)
    return None
