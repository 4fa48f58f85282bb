"""Loading keeps exact positions, refuses duplicates, and bounds what a file can expand to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_edge_cli.errors import InputError
from acr_edge_cli.loader import (
    JsonPositions,
    json_locators,
    load_file,
    parse_json,
    parse_yaml,
    reread_json,
)
from tests.conftest import GOLDEN


def test_yaml_positions_of_values_and_keys() -> None:
    document = parse_yaml("a:\n  b: [1, 2]\n  c:\n    d: x\n", "f.yaml")
    assert document.locate(("a", "b", 1)) == (2, 10)
    assert document.locate(("a", "c", "d")) == (4, 8)
    assert document.locate(("a", "c"), key=True) == (3, 3)
    # a missing key points at the mapping that should hold it
    assert document.locate(("a", "c", "missing")) == (4, 5)


def test_yaml_alias_values_are_located_where_the_alias_is_used() -> None:
    document = parse_yaml("base: &b {x: 1}\nuse: *b\n", "f.yaml")
    assert document.data == {"base": {"x": 1}, "use": {"x": 1}}
    assert document.locate(("use", "x")) == (2, 6)


def test_yaml_is_read_as_yaml_1_2() -> None:
    document = parse_yaml("on: yes\nmode: 0755\nsince: 2024-01-05\n", "f.yaml")
    assert document.data == {"on": "yes", "mode": 755, "since": "2024-01-05"}


def test_unknown_tags_are_refused_not_dropped() -> None:
    with pytest.raises(InputError, match="could not determine a constructor"):
        parse_yaml("a: !!python/object/apply:os.system [ls]\n", "f.yaml")


def test_yaml_merge_keys_are_not_duplicates() -> None:
    document = parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert document.data["use"] == {"x": 1, "y": 3}


def test_nested_merge_keys_leave_no_literal_merge_key() -> None:
    """A merge source that merges another is completed first: no `<<` reaches a twin."""
    text = (
        "common: &common {interval: 5}\n"
        "props: &props\n  <<: *common\n  level: info\n"
        "later:\n  <<: *props\n  extra: 1\n"
        "listed:\n  - <<: [*props, {more: 2}]\n"
    )
    data = parse_yaml(text, "f.yaml").data
    assert data["later"] == {"interval": 5, "level": "info", "extra": 1}
    assert data["listed"] == [{"interval": 5, "level": "info", "more": 2}]
    assert "<<" not in str(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "f.yaml:2:1: error: duplicate key 'a' (first defined at line 1) [input]"),
        ("[" * 300 + "]" * 300, "f.yaml:1:202: error: nested deeper than 200 levels [input]"),
    ],
)
def test_yaml_refusals(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "f.yaml")
    assert str(caught.value) == message


def test_json_positions_match_every_value() -> None:
    text = '{\n  "a": {"b": [1, {"c": "x\\"y"}, true]},\n  "d" : null, "e": -1.5e3\n}'
    document = parse_json(text, "f.json")
    assert document.locate(("a", "b", 1, "c")) == (2, 24)
    assert document.locate(("d",), key=True) == (3, 3)
    assert document.locate(("e",)) == (3, 20)


def test_json_positions_survive_deep_nesting() -> None:
    depth = 5000
    text = '{"k":' * depth + "1" + "}" * depth
    positions = JsonPositions(text)
    assert positions.value_at(("k",) * depth) == (1, 5 * depth + 1)


def test_json_duplicate_keys_are_errors_with_both_lines() -> None:
    with pytest.raises(InputError) as caught:
        parse_json('{"a": {"b": 1,\n "b": 2}}', "f.json")
    assert (
        str(caught.value)
        == "f.json:2:2: error: duplicate key 'b' (first defined at line 1) [input]"
    )


def test_json_and_yaml_give_the_same_data() -> None:
    data = {"version": 1, "devices": [{"id": "x", "tags": {"a": True}}]}
    assert (
        parse_json(json.dumps(data), "f.json").data == parse_yaml(json.dumps(data), "f.yaml").data
    )


def test_findings_with_and_without_lines_sort_together() -> None:
    from acr_edge_cli.diagnostics import Diagnostic, Severity

    located = Diagnostic("f.json", 3, 1, "schema", Severity.ERROR, "x")
    unlocated = Diagnostic("f.json", None, None, "nginx", Severity.ERROR, "y")
    assert sorted([located, unlocated]) == [unlocated, located]


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "a": {"b": [1, {"c": "x\\"y"}, true]},\n  "d" : null, "e": -1.5e3, "f": [], "g": {}\n}',
        (GOLDEN / "two-layer" / "layer-0" / "top-layer" / "deployment.json").read_text(),
        (GOLDEN / "factory-isa95" / "index.json").read_text(),
    ],
)
def test_json_locators_agree_with_a_full_scan(text: str) -> None:
    # Locating walks along the path only; the full scan records every position.
    value_at, key_at = json_locators(text)
    scan = JsonPositions(text)
    paths = set(scan.values) | set(scan.keys) | {("missing",), ("a", "b", 7), ("a", 0)}
    for path in paths:
        assert value_at(path) == scan.value_at(path), path
        assert key_at(path) == scan.key_at(path), path


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"a": [1, 2.5, "\\u00e9"],\n "b": {"c": null}}', ("a", 2)),
        ('{"big":\n 123456789012345678901}', ("big",)),  # past 64 bits
        ('{"lone":\n "\\ud800"}', ("lone",)),  # a lone surrogate
    ],
)
def test_rereading_json_gives_what_the_first_read_gave(
    tmp_path: Path, text: str, where: tuple[str | int, ...]
) -> None:
    """reread_json stands in for load_file on files a worker already accepted."""
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    first, again = load_file(path, "m.json"), reread_json(path, "m.json")
    assert again.data == first.data
    assert again.locate(where) == first.locate(where) is not None
