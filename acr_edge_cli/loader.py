"""Read YAML or JSON files into plain data that remembers where every value came from.

A location is looked up only when a diagnostic needs one: YAML keeps its node tree (which
has the marks), JSON is scanned for positions on first use. Duplicate keys are errors in
both formats, and YAML alias expansion is bounded so a small file cannot become a huge one.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml_rs

from acr_edge_cli.diagnostics import Diagnostic, JsonPath, PathPart, Severity
from acr_edge_cli.document import Position, SourceDocument
from acr_edge_cli.errors import InputError

# PyYAML only explains a refusal or locates a finding, so it is imported when that happens.
if TYPE_CHECKING:
    import yaml


def _yaml_loader() -> type[yaml.SafeLoader]:
    import yaml

    try:  # libyaml's parser is several times faster; the pure-Python one gives the same marks
        return yaml.CSafeLoader  # type: ignore[return-value]
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        return yaml.SafeLoader


#: How many nodes alias expansion may produce before a file is refused ("billion laughs").
MAX_EXPANDED_NODES = 2_000_000
#: Deeper nesting than this is refused before it can exhaust the interpreter's stack.
MAX_DEPTH = 200

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _input_error(path: str, message: str, position: Position | None = None) -> InputError:
    line, column = position if position else (None, None)
    return InputError(
        [Diagnostic(path, line, column, "input", Severity.ERROR, message, pointer="")]
    )


def read_text(path: Path, display: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _input_error(display, "no such file") from None
    except IsADirectoryError:
        raise _input_error(display, "is a directory, expected a file") from None
    except OSError as error:
        raise _input_error(display, f"cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise _input_error(
            display, f"not UTF-8 text (byte 0x{raw[error.start]:02x})", (line, column)
        ) from None
    if "\x00" in text:
        raise _input_error(display, "binary data (NUL byte), expected YAML or JSON text")
    return text


def load_file(path: Path, display: str | None = None) -> SourceDocument:
    """Load a `.json` file as JSON and anything else as YAML."""
    name = display if display is not None else str(path)
    text = read_text(path, name)
    if path.suffix.lower() == ".json":
        return parse_json(text, name)
    return parse_yaml(text, name)


# --- YAML ---------------------------------------------------------------------------------


def _mark(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _describe_scalar(node: yaml.Node) -> str:
    import yaml

    value = node.value if isinstance(node, yaml.ScalarNode) else "..."
    return str(value)


def _check_yaml_tree(root: yaml.Node, display: str) -> None:
    """Refuse duplicate keys, non-string keys and runaway alias expansion, with positions."""
    import yaml

    budget = MAX_EXPANDED_NODES
    # An explicit stack: deep nesting must not exhaust Python's recursion limit.
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise _input_error(
                display,
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} values; refusing to load",
                _mark(node),
            )
        if depth > MAX_DEPTH:
            raise _input_error(display, f"nested deeper than {MAX_DEPTH} levels", _mark(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key_node, value_node in node.value:
                stack.append((value_node, depth + 1))
                if key_node.tag == _MERGE_TAG:
                    continue
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                    raise _input_error(
                        display,
                        f"key {_describe_scalar(key_node)!r} is not a string "
                        "(YAML reads it as another type); quote it",
                        _mark(key_node),
                    )
                first = seen.get(key_node.value)
                if first is not None:
                    raise _input_error(
                        display,
                        f"duplicate key {key_node.value!r} (first defined at line "
                        f"{first.start_mark.line + 1})",
                        _mark(key_node),
                    )
                seen[key_node.value] = key_node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def _yaml_child(node: yaml.Node, part: PathPart) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) for one step of a path; later keys win, as in the data."""
    import yaml

    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        found = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                found = (key_node, value_node)
        return found
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        child = node.value[part]
        return child, child
    return None


def _yaml_locators(
    root: yaml.Node,
) -> tuple[Callable[[JsonPath], Position | None], Callable[[JsonPath], Position | None]]:
    def walk(path: JsonPath) -> tuple[yaml.Node, yaml.Node] | None:
        pair: tuple[yaml.Node, yaml.Node] = (root, root)
        for part in path:
            step = _yaml_child(pair[1], part)
            if step is None:
                return None
            pair = step
        return pair

    def value_at(path: JsonPath) -> Position | None:
        pair = walk(path)
        return _mark(pair[1]) if pair else None

    def key_at(path: JsonPath) -> Position | None:
        pair = walk(path)
        return _mark(pair[0]) if pair else None

    return value_at, key_at


def _yaml_error_message(error: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (error.context, error.problem) if p]
    message = "; ".join(parts) or "invalid YAML"
    return f"YAML syntax error: {message}"


def _parse_yaml_slowly(text: str, display: str) -> SourceDocument:
    """PyYAML, with marks: the precise, located message for a file the fast parser refused,
    and the data where only PyYAML can tell what is wrong (several documents)."""
    import yaml

    loader = _yaml_loader()(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            position = (mark.line + 1, mark.column + 1) if mark else None
            raise _input_error(display, _yaml_error_message(error), position) from None
        except yaml.YAMLError as error:
            raise _input_error(display, f"YAML syntax error: {error}") from None
        if node is None:
            raise _input_error(display, "the file is empty")
        _check_yaml_tree(node, display)
        try:
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            position = (mark.line + 1, mark.column + 1) if mark else None
            raise _input_error(display, _yaml_error_message(error), position) from None
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
            # e.g. an out-of-range timestamp, or an unhashable merged key
            raise _input_error(display, f"YAML value error: {error}", _mark(node)) from None
    finally:
        loader.dispose()
    value_at, key_at = _yaml_locators(node)
    return SourceDocument(display, data, value_at, key_at)


_FAST_POSITION = re.compile(r"at line (\d+), column (\d+)")
_TAG_PRECEDERS = frozenset(" \t\r\n[{,:-")


def _has_tag(text: str) -> bool:
    """Whether a `!` may start a YAML tag (a regex over megabytes costs a third of a second;
    `!` is rare, so look only where it is)."""
    index = text.find("!")
    while index != -1:
        if index == 0 or text[index - 1] in _TAG_PRECEDERS:
            return True
        index = text.find("!", index + 1)
    return False


def _merge_keys(data: Any) -> Any:
    """Apply YAML merge keys (`<<: *defaults`), which the YAML 1.2 parser leaves as keys.

    As in YAML 1.1: keys written in the mapping win, then earlier merged mappings. A merge
    source is completed first (it may merge others itself), so that no `<<` is left to
    reach a twin. Iterative, children before parents: nesting may be deep.
    """
    done: set[int] = set()
    started: set[int] = set()  # an alias back to an ancestor is not entered again
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in done:
            continue
        if not children_done:
            if id(node) in started:
                continue
            started.add(id(node))
            stack.append((node, True))
            children = node.values() if isinstance(node, dict) else node
            stack.extend(
                (child, False)
                for child in children
                if isinstance(child, (dict, list)) and id(child) not in started
            )
            continue
        done.add(id(node))
        if isinstance(node, dict) and "<<" in node:
            sources = node.pop("<<")
            merged: dict[Any, Any] = {}
            for source in sources if isinstance(sources, list) else [sources]:
                if isinstance(source, dict):
                    for key, value in source.items():
                        merged.setdefault(key, value)
            merged.update(node)
            node.clear()
            node.update(merged)
    return data


def parse_yaml(text: str, display: str) -> SourceDocument:
    """YAML 1.2 through a compiled parser; PyYAML only to explain a refusal or to locate.

    The fast parser refuses duplicate keys and bounds alias expansion itself. Positions come
    from PyYAML's event stream, read lazily and only as far as a lookup needs.
    """
    try:
        data = yaml_rs.loads(
            text,
            parse_datetime=False,  # YAML 1.2 has no timestamps: 2024-01-05 is a string
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_EXPANDED_NODES),
        )
    except yaml_rs.YAMLDecodeError as error:
        # PyYAML names the problem with its place; if it accepts the text, say what the
        # fast parser said.
        _parse_yaml_slowly(text, display)
        message = str(error).splitlines()[0]
        match = _FAST_POSITION.search(message)
        position = (int(match.group(1)), int(match.group(2))) if match else None
        raise _input_error(display, f"YAML error: {message}", position) from None
    if data is None or isinstance(data, list):
        # Empty, several documents, or a top-level list: the slow parser tells which.
        return _parse_yaml_slowly(text, display)
    if _has_tag(text):
        # The fast parser drops tags it does not know; PyYAML's safe loader refuses them.
        _parse_yaml_slowly(text, display)
    if "<<" in text:
        data = _merge_keys(data)
    locator = _YamlEventLocator(text)
    return SourceDocument(display, data, locator.value_at, locator.key_at, text)


class _YamlEventLocator:
    """Positions of keys and values from PyYAML's event stream, read only as far as needed.

    Every position passed on the way is remembered, so many lookups cost one pass at most;
    a lookup inside a mapping or list already read to its end stops there.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._events: Iterator[Any] | None = None  # PyYAML's parse, started by a lookup
        self._values: dict[JsonPath, Position] = {}
        self._keys: dict[JsonPath, Position] = {}
        self._closed: set[JsonPath] = set()
        # open containers: [is_mapping, path, next key (None: expecting a key), next index]
        self._open: list[list[Any]] = []
        self._finished = False

    def value_at(self, path: JsonPath) -> Position | None:
        return self._find(path, self._values)

    def key_at(self, path: JsonPath) -> Position | None:
        return self._find(path, self._keys)

    def _find(self, path: JsonPath, table: dict[JsonPath, Position]) -> Position | None:
        while path not in table:
            if self._finished or (path and path[:-1] in self._closed):
                return None
            self._step()
        return table[path]

    def _step(self) -> None:
        import yaml

        if self._events is None:
            self._events = yaml.parse(self._text, Loader=_yaml_loader())
        try:
            event = next(self._events)
        except (StopIteration, yaml.YAMLError):
            self._finished = True
            return
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self._closed.add(self._open.pop()[1])
            return
        if not isinstance(event, yaml.NodeEvent):
            return
        mark = event.start_mark
        position = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        if not self._open:
            path: JsonPath = ()
        else:
            parent = self._open[-1]
            if parent[0] and parent[2] is None:  # a mapping key
                key = event.value if isinstance(event, yaml.ScalarEvent) else f"<{id(event)}>"
                parent[2] = key
                self._keys.setdefault((*parent[1], key), position)
                if isinstance(event, yaml.CollectionStartEvent):  # a complex key: skip it
                    self._open.append([isinstance(event, yaml.MappingStartEvent), (), None, 0])
                return
            if parent[0]:
                path = (*parent[1], parent[2])
                parent[2] = None
            else:
                path = (*parent[1], parent[3])
                parent[3] += 1
        self._values.setdefault(path, position)
        if isinstance(event, yaml.MappingStartEvent):
            self._open.append([True, path, None, 0])
        elif isinstance(event, yaml.SequenceStartEvent):
            self._open.append([False, path, None, 0])


# --- JSON ---------------------------------------------------------------------------------


class _DuplicateKeyError(Exception):
    pass


class _NotJsonError(Exception):
    """NaN, Infinity or -Infinity: Python's reader takes them, JSON (RFC 8259) does not."""


def _reject_constant(name: str) -> Any:
    raise _NotJsonError(name)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]


class JsonPositions:
    """Offsets of every key and value in a JSON text that is known to be valid.

    Built once, on the first lookup; also names the first duplicate key, which the
    standard parser can detect but not place.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.values: dict[JsonPath, int] = {}
        self.keys: dict[JsonPath, int] = {}
        self.first_duplicate: tuple[str, int, int] | None = None  # key, offset, first offset
        self._line_starts: list[int] | None = None
        self._scan()

    def _scan(self) -> None:
        text = self.text
        index = 0
        # Iterative, so deep nesting costs no Python stack: `containers` holds the open
        # objects and arrays (kind, path, keys seen, index of the current item).
        containers: list[tuple[str, JsonPath, dict[str, int] | None, int]] = []
        path: JsonPath = ()
        while True:
            index = _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]
            self.values[path] = index
            char = text[index]
            if char == "{":
                index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
                if text[index] == "}":
                    index += 1
                else:
                    seen: dict[str, int] = {}
                    key, index = self._key(text, index, path, seen)
                    containers.append(("{", path, seen, 0))
                    path = (*path, key)
                    continue
            elif char == "[":
                index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
                if text[index] == "]":
                    index += 1
                else:
                    containers.append(("[", path, None, 0))
                    path = (*path, 0)
                    continue
            elif char == '"':
                _, index = _scan_string(text, index + 1)
            else:
                match = _NUMBER.match(text, index)
                if match and match.end() > index:
                    index = match.end()
                else:
                    for literal in ("true", "false", "null"):
                        if text.startswith(literal, index):
                            index += len(literal)
                            break
            # A value ended: close containers or move to the next sibling.
            while True:
                if not containers:
                    return
                kind, parent, seen_keys, count = containers[-1]
                index = _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]
                if text[index] == ",":
                    index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
                    if kind == "{":
                        assert seen_keys is not None
                        key, index = self._key(text, index, parent, seen_keys)
                        path = (*parent, key)
                    else:
                        containers[-1] = (kind, parent, seen_keys, count + 1)
                        path = (*parent, count + 1)
                    break
                index += 1  # the closing bracket
                containers.pop()

    def _key(
        self, text: str, index: int, parent: JsonPath, seen: dict[str, int]
    ) -> tuple[str, int]:
        key, end = _scan_string(text, index + 1)
        if key in seen and self.first_duplicate is None:
            self.first_duplicate = (key, index, seen[key])
        seen[key] = index
        self.keys[(*parent, key)] = index
        end = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
        return key, end + 1  # past the colon

    def position(self, offset: int) -> Position:
        if self._line_starts is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def value_at(self, path: JsonPath) -> Position | None:
        offset = self.values.get(path)
        return None if offset is None else self.position(offset)

    def key_at(self, path: JsonPath) -> Position | None:
        offset = self.keys.get(path)
        return None if offset is None else self.position(offset)


_DECODER = json.JSONDecoder()


def _json_offset(text: str, path: JsonPath, *, key: bool) -> int | None:
    """Offset of the value (or key) at `path` in valid JSON text, found by walking along the
    path only: the siblings on the way are skipped by the C decoder. (Scanning every
    position in Python cost 1.5 ms for a 4 KB manifest; a finding needs one path.)"""
    index = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    key_offset: int | None = None
    for part in path:
        opening = text[index]
        index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
        if opening == "{" and isinstance(part, str):
            while text[index] == '"':
                name, end = _scan_string(text, index + 1)
                key_offset = index
                end = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
                index = _WHITESPACE.match(text, end + 1).end()  # type: ignore[union-attr]
                if name == part:
                    break
                _, end = _DECODER.raw_decode(text, index)
                index = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
                if text[index] != ",":
                    return None
                index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
            else:
                return None
        elif opening == "[" and isinstance(part, int) and text[index] != "]":
            for _ in range(part):
                _, end = _DECODER.raw_decode(text, index)
                index = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
                if text[index] != ",":
                    return None
                index = _WHITESPACE.match(text, index + 1).end()  # type: ignore[union-attr]
            key_offset = None
        else:
            return None
    return key_offset if key else index


def _offset_position(text: str, offset: int) -> Position:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def json_locators(
    text: str,
) -> tuple[Callable[[JsonPath], Position | None], Callable[[JsonPath], Position | None]]:
    scans: list[JsonPositions] = []

    def locate(path: JsonPath, key: bool) -> Position | None:
        try:
            offset = _json_offset(text, path, key=key)
        except (ValueError, IndexError, RecursionError):  # not the valid JSON it should be
            if not scans:
                scans.append(JsonPositions(text))
            return scans[0].key_at(path) if key else scans[0].value_at(path)
        return None if offset is None else _offset_position(text, offset)

    return (lambda path: locate(path, False)), (lambda path: locate(path, True))


def reread_json(path: Path, display: str) -> SourceDocument:
    """A JSON file read again after load_file accepted it (in a worker, say): the same
    reader without the duplicate-key hook, whose check was done (half the time)."""
    text = read_text(path, display)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # changed since it was accepted
        return parse_json(text, display)
    value_at, key_at = json_locators(text)
    return SourceDocument(display, data, value_at, key_at)


def parse_json(text: str, display: str) -> SourceDocument:
    try:
        data = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as error:
        raise _input_error(
            display, f"JSON syntax error: {error.msg}", (error.lineno, error.colno)
        ) from None
    except _DuplicateKeyError:
        scan = JsonPositions(text)
        assert scan.first_duplicate is not None
        key, offset, first = scan.first_duplicate
        raise _input_error(
            display,
            f"duplicate key {key!r} (first defined at line {scan.position(first)[0]})",
            scan.position(offset),
        ) from None
    except _NotJsonError as error:
        try:  # orjson refuses the same token, and says where it is
            orjson.loads(text)
            position = None
        except orjson.JSONDecodeError as located:
            position = (located.lineno, located.colno)
        message = f"JSON syntax error: {error} is not a JSON value"
        raise _input_error(display, message, position) from None
    except RecursionError:
        raise _input_error(display, "JSON nested too deeply") from None
    except ValueError:  # Python refuses to convert integers past 4,300 digits
        long = _LONG_NUMBER.search(text)
        position = _offset_position(text, long.start()) if long else None
        message = "JSON: a number of more than 4300 digits, which JSON readers refuse"
        raise _input_error(display, message, position) from None
    value_at, key_at = json_locators(text)
    return SourceDocument(display, data, value_at, key_at)


_LONG_NUMBER = re.compile(r"-?\d{4301,}")
