"""What a secret is, how it is masked, and where generated files keep secret references."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from acr_edge_cli.secrets import (
    MarkTaker,
    is_placeholder,
    is_secret_name,
    mark_references,
    mask,
    resolve_places,
    take_marks,
)


@pytest.mark.parametrize(
    ("name", "secret"),
    [("SYNC_PASSWORD", True), ("api-token", True), ("sharedAccessKey", True),
     ("ConnectionString", True), ("STORAGE_ACCOUNT_KEY", True), ("password", True),
     ("MONKEY", False), ("TOKENIZER", False), ("KEYBOARD_LAYOUT", False), ("SendData", False)],
)  # fmt: skip
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [("<password>", True), ("${ACR_PASSWORD}", True), ("$ACR_PASSWORD", True),
     ("%ACR_PASSWORD%", True), ("", True), ("hunter2", False), ("<a>hunter2", False)],
)  # fmt: skip
def test_placeholders_are_not_secrets(value: str, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


def test_a_connection_string_keeps_what_is_not_secret_when_masked() -> None:
    env = {"ConnectionString": {"value": "ConnectedRegistryName=r;SyncTokenPassword=pw;X=y"}}
    shown = mask(env)["ConnectionString"]["value"]
    assert shown.startswith("ConnectedRegistryName=r;SyncTokenPassword=********#")
    assert shown.endswith(";X=y") and "pw;" not in shown


def _manifest(password: str, extra: str | None = None) -> dict[str, Any]:
    modules: dict[str, Any] = {"cr": {"env": {"CS": {"value": f"A=b;P={password}"}}}}
    if extra is not None:
        modules["other"] = {"env": {"TOKEN": {"value": extra}}}
    return {"modulesContent": {"$edgeAgent": {"modules": modules, "creds": {"password": password}}}}


def test_marks_are_taken_back_with_their_places_and_escapes_are_left_alone() -> None:
    content = _manifest(mark_references("${PW}"), extra=mark_references("$${NOT} ${TOK}"))
    places = take_marks(content)
    assert places == [
        ("/modulesContent/$edgeAgent/creds/password", ["PW"]),
        ("/modulesContent/$edgeAgent/modules/cr/env/CS/value", ["PW"]),
        ("/modulesContent/$edgeAgent/modules/other/env/TOKEN/value", ["TOK"]),
    ]
    assert content == _manifest("${PW}", extra="$${NOT} ${TOK}")
    resolved, unset, used = resolve_places(content, places, {"PW": "s3", "TOK": "t0", "NOT": "x"})
    assert resolved == _manifest("s3", extra="${NOT} t0")
    assert (unset, used) == (set(), {"s3", "t0"})


def test_the_mark_taker_finds_what_a_walk_finds_whatever_the_order_of_shapes() -> None:
    """Reusing the last document's places is only a shortcut: a document with more, fewer
    or other places gives what walking it gives."""
    shapes = [
        _manifest(mark_references("${A}")),
        _manifest(mark_references("${B}")),
        _manifest(mark_references("${C}"), extra=mark_references("${D}")),
        _manifest("literal"),
        _manifest(mark_references("${E}")),
        {"modulesContent": {}},
        _manifest(mark_references("${F}"), extra="plain"),
    ]
    taker = MarkTaker()
    for shape in shapes * 2:
        walked, taken = copy.deepcopy(shape), copy.deepcopy(shape)
        assert taker.take(taken) == take_marks(walked)
        assert taken == walked
