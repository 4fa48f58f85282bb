"""Structured fuzzing of `generate` and `validate` with hypothesis.

Every input, however broken, must end with exit 0, 1 or 2 and a message: never a
traceback, never a hang. The seed corpus is the shipped examples and their manifests;
mutations change types and values anywhere in the tree, delete and invent keys, nest
deeply, use unicode and huge numbers, duplicate keys, add anchors and aliases, and
splice binary junk into the text.

CI runs a bounded, derandomized set (ACR_EDGE_FUZZ_EXAMPLES, default 60 per test); a
longer run: ACR_EDGE_FUZZ_EXAMPLES=5000 python -m pytest tests/fuzz.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES, GOLDEN, CliResult

EXAMPLES_COUNT = int(os.environ.get("ACR_EDGE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES_COUNT,
    derandomize=not os.environ.get("ACR_EDGE_FUZZ_RANDOM"),
    deadline=10_000,  # ms per input: a hang is a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SEEDS = [yaml.safe_load(path.read_text()) for path in sorted(EXAMPLES.glob("*.yaml"))]
MANIFESTS = [json.loads(p.read_text()) for p in sorted(GOLDEN.rglob("deployment.json"))]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.text(alphabet="${}:/\\\"'#&*!|>-%@`\x00\u2028\U0001f600", max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A seed with a few structural changes."""
    data = json.loads(json.dumps(draw(st.sampled_from(seeds))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add", "nest"]))
        if not path:
            if action == "replace":
                data = draw(values)
            continue
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif action == "nest":
            depth = draw(st.integers(min_value=1, max_value=300))
            nested: Any = parent[last]
            for _ in range(depth):
                nested = [nested]
            parent[last] = nested
    return data


def _text(data: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, ensure_ascii=False)
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except RecursionError:
        return json.dumps(data)


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> bytes:
    """Text-level damage: duplicated lines (duplicate keys), anchors/aliases, junk bytes."""
    lines = text.splitlines(keepends=True)
    action = draw(st.sampled_from(["duplicate-line", "alias", "junk", "truncate", "laughs"]))
    if action == "duplicate-line" and lines:
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        lines.insert(index, lines[index])
        return "".join(lines).encode()
    if action == "alias":
        return ("base: &anchor {x: [1, 2, 3]}\n" + text + "extra: *anchor\n").encode()
    if action == "truncate":
        return text.encode()[: draw(st.integers(min_value=0, max_value=len(text)))]
    if action == "laughs":
        bomb = ["l0: &l0 [a, a, a, a, a, a, a, a, a, a]"]
        bomb += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
        return ("\n".join(bomb) + "\n" + text).encode()
    data = text.encode()
    position = draw(st.integers(min_value=0, max_value=len(data)))
    return data[:position] + draw(st.binary(min_size=1, max_size=16)) + data[position:]


def _check(result: CliResult) -> None:
    assert result.exit_code in (0, 1, 2), result.stdout + result.stderr
    if result.exit_code:
        assert (result.stdout + result.stderr).strip(), "a failure must say why"
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture
def run(tmp_path: Path, cli: Callable[..., CliResult]) -> Callable[[bytes, str], None]:
    counter = iter(range(10**9))

    def go(data: bytes, suffix: str) -> None:
        number = next(counter)
        path = tmp_path / f"input-{number}{suffix}"
        path.write_bytes(data)
        _check(cli("generate", path, "-o", tmp_path / f"out-{number}"))
        _check(cli("validate", path, "--format", "json"))

    return go


@FUZZ
@given(data=mutated(SEEDS), as_json=st.booleans())
def test_mutated_hierarchies(run: Callable[[bytes, str], None], data: Any, as_json: bool) -> None:
    run(_text(data, as_json).encode(), ".json" if as_json else ".yaml")


@FUZZ
@given(data=st.sampled_from(SEEDS).flatmap(lambda seed: text_mutations(_text(seed, False))))
def test_damaged_hierarchy_text(run: Callable[[bytes, str], None], data: bytes) -> None:
    run(data, ".yaml")


@FUZZ
@given(data=mutated(MANIFESTS))
def test_mutated_manifests(tmp_path: Path, cli: Callable[..., CliResult], data: Any) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    _check(cli("validate", path, "--format", "json"))


@FUZZ
@given(data=st.sampled_from(MANIFESTS).flatmap(lambda m: text_mutations(json.dumps(m, indent=2))))
def test_damaged_manifest_text(tmp_path: Path, cli: Callable[..., CliResult], data: bytes) -> None:
    path = tmp_path / "deployment.json"
    path.write_bytes(data)
    _check(cli("validate", path))
