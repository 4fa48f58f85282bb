"""The one way to reach bundled data: templates/ and schemas/.

In a wheel they sit inside the package (the build maps them there); in a source checkout
or an editable install they are the top-level folders of the repository.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled {name}/ not found next to {_PACKAGE}; reinstall acr-edge")


def templates_dir() -> Path:
    return _data_dir("templates")


def schemas_dir() -> Path:
    return _data_dir("schemas")


def examples_dir() -> Path:
    return _data_dir("examples")


def schema_names() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in schemas_dir().glob("*.schema.json"))


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """A bundled JSON Schema by name (`edgeagent-1.1`), parsed once per process."""
    path = schemas_dir() / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
