"""Every kind of unreadable input exits 2 with one located line per problem, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

BASE = """\
version: 1
name: plant
cloud_registry:
  login_server: contoso.azurecr.io
  data_endpoint: contoso.westeurope.data.azurecr.io
devices:
  - id: top
    connected_registry:
      name: topregistry
      mode: ReadWrite
      repositories: [azureiotedge-agent]
      sync_token: {name: top-sync, password: "${TOP_PW}"}
"""


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


# (case id, file text, file suffix, expected stderr without the leading "<file>:")
CASES: list[tuple[str, str, str, str]] = [
    ("empty file", "", ".yaml", " error: the file is empty"),
    ("only a comment", "# nothing\n", ".yaml", " error: the file is empty"),
    (
        "yaml syntax: unclosed flow list",
        edit("[azureiotedge-agent]", "[azureiotedge-agent"),
        ".yaml",
        "12:17: error: YAML syntax error: while parsing a flow sequence; "
        "did not find expected ',' or ']'",
    ),
    (
        "yaml syntax: tab indentation",
        edit("  - id: top", "\t- id: top"),
        ".yaml",
        "7:1: error: YAML syntax error: while scanning for the next token; "
        "found character that cannot start any token",
    ),
    (
        "yaml syntax: bad indentation",
        edit("      mode: ReadWrite", "     mode: ReadWrite"),
        ".yaml",
        "10:6: error: YAML syntax error: while parsing a block mapping; did not find expected key",
    ),
    (
        "two yaml documents",
        BASE + "---\nversion: 1\n",
        ".yaml",
        "13:1: error: YAML syntax error: expected a single document in the stream; "
        "but found another document",
    ),
    (
        "python tag",
        edit("name: plant", "name: !!python/object/apply:os.system [ls]"),
        ".yaml",
        "2:7: error: YAML syntax error: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    (
        "duplicate key at the top",
        BASE + "name: plant2\n",
        ".yaml",
        "13:1: error: duplicate key 'name' (first defined at line 2)",
    ),
    (
        "duplicate key in a device",
        edit("  - id: top\n", "  - id: top\n    id: other\n"),
        ".yaml",
        "8:5: error: duplicate key 'id' (first defined at line 7)",
    ),
    (
        "non-string key",
        edit("  - id: top\n", "  - id: top\n    1: true\n"),
        ".yaml",
        "8:5: error: devices[0]: key 1 is not a string; quote it",
    ),
    (
        "YAML 1.1 boolean words are plain strings (YAML 1.2)",
        edit("  - id: top\n", "  - id: top\n    on: true\n"),
        ".yaml",
        "8:5: error: devices[0]: unknown key 'on'; allowed: id, hostname, connected_registry, "
        "api_proxy, registry_credentials, modules, routes, edge_runtime, tags, children",
    ),
    (
        "top level is a list",
        "- version: 1\n",
        ".yaml",
        "1:1: error: expected a mapping at the top level, got a list",
    ),
    (
        "top level is a string",
        "hello\n",
        ".yaml",
        "1:1: error: expected a mapping at the top level, got a string ('hello')",
    ),
    (
        "unknown top-level key with suggestion",
        edit("name: plant", "nmae: plant"),
        ".yaml",
        "2:1: error: the top level: unknown key 'nmae'; did you mean 'name'?",
    ),
    (
        "unknown device key",
        edit("    connected_registry:", "    conected_registry:"),
        ".yaml",
        "8:5: error: devices[0]: unknown key 'conected_registry'; "
        "did you mean 'connected_registry'?",
    ),
    (
        "unknown key, no close match",
        edit("  - id: top\n", "  - id: top\n    colour: blue\n"),
        ".yaml",
        "8:5: error: devices[0]: unknown key 'colour'; allowed: id, hostname, "
        "connected_registry, api_proxy, registry_credentials, modules, routes, edge_runtime, "
        "tags, children",
    ),
    (
        "missing devices",
        BASE.split("devices:")[0],
        ".yaml",
        "1:1: error: the top level: missing required key 'devices'",
    ),
    (
        "missing login_server",
        edit("  login_server: contoso.azurecr.io\n", ""),
        ".yaml",
        "4:3: error: cloud_registry: missing required key 'login_server'",
    ),
    (
        "missing sync token password",
        edit('{name: top-sync, password: "${TOP_PW}"}', "{name: top-sync}"),
        ".yaml",
        "12:19: error: devices[0].connected_registry.sync_token: missing required key 'password'",
    ),
    (
        "missing data endpoint for a top-layer registry",
        edit("  data_endpoint: contoso.westeurope.data.azurecr.io\n", ""),
        ".yaml",
        "4:3: error: cloud_registry: missing required key 'data_endpoint' "
        "(the top-layer connected registry on 'top' syncs from it)",
    ),
    (
        "wrong version",
        edit("version: 1", "version: 2"),
        ".yaml",
        "1:10: error: version: a number (2) is not one of 1",
    ),
    (
        "version as a string",
        edit("version: 1", 'version: "1"'),
        ".yaml",
        "1:10: error: version: a string ('1') is not one of 1",
    ),
    (
        "bad hierarchy name",
        edit("name: plant", "name: Plant_1"),
        ".yaml",
        "2:7: error: name: a string ('Plant_1') is not 1 to 64 lowercase letters, digits and '-'",
    ),
    (
        "login server with a scheme",
        edit("login_server: contoso.azurecr.io", "login_server: https://contoso.azurecr.io"),
        ".yaml",
        "4:17: error: cloud_registry.login_server: a string ('https://contoso.azurecr.io') is "
        "not a host name such as contoso.azurecr.io (no scheme, no path)",
    ),
    (
        "mode outside the enumeration",
        edit("mode: ReadWrite", "mode: Both"),
        ".yaml",
        "10:13: error: devices[0].connected_registry.mode: a string ('Both') is not one of "
        "'ReadWrite', 'ReadOnly', 'Registry' or 'Mirror'",
    ),
    (
        "a list where a mapping belongs",
        edit("    connected_registry:\n", "    connected_registry: []\n    x:\n"),
        ".yaml",
        "8:25: error: devices[0].connected_registry: expected a mapping, got a list\n"
        "{file}:9:5: error: devices[0]: unknown key 'x'; allowed: id, hostname, "
        "connected_registry, api_proxy, registry_credentials, modules, routes, edge_runtime, "
        "tags, children",
    ),
    (
        "a mapping where a list belongs",
        edit("repositories: [azureiotedge-agent]", "repositories: {a: 1}"),
        ".yaml",
        "11:21: error: devices[0].connected_registry.repositories: expected a list, got a mapping",
    ),
    (
        "devices is a mapping",
        BASE.split("devices:")[0] + "devices:\n  top: {}\n",
        ".yaml",
        "7:3: error: devices: expected a list, got a mapping",
    ),
    (
        "empty device list",
        BASE.split("devices:")[0] + "devices: []\n",
        ".yaml",
        "6:10: error: devices: must not be empty",
    ),
    (
        "number where a string belongs (runtime version)",
        edit("  - id: top\n", "  - id: top\n    edge_runtime: {version: 1.5}\n"),
        ".yaml",
        "8:29: error: devices[0].edge_runtime.version: expected a string, got a number (1.5) "
        '(quote it: "1.5")',
    ),
    (
        "a misspelt required key is one finding, not 'missing' and 'unknown'",
        edit("      mode: ReadWrite", "      mdoe: ReadWrite"),
        ".yaml",
        "10:7: error: devices[0].connected_registry: unknown key 'mdoe'; did you mean 'mode'?",
    ),
    (
        "1.10 read as the number 1.1 (runtime version)",
        edit("  - id: top\n", "  - id: top\n    edge_runtime: {version: 1.10}\n"),
        ".yaml",
        "8:29: error: devices[0].edge_runtime.version: expected a string, got a number (1.1) "
        '(YAML reads 1.10 as the number 1.1: quote it, "1.10")',
    ),
    (
        "string where a number belongs (proxy port)",
        edit("  - id: top\n", '  - id: top\n    api_proxy: {port: "8000"}\n'),
        ".yaml",
        "8:23: error: devices[0].api_proxy.port: expected an integer, got a string ('8000')",
    ),
    (
        "port out of range",
        edit("  - id: top\n", "  - id: top\n    api_proxy: {port: 70000}\n"),
        ".yaml",
        "8:23: error: devices[0].api_proxy.port: input should be less than or equal to 65535, "
        "got 70000",
    ),
    (
        "api_proxy neither bool nor mapping",
        edit("  - id: top\n", "  - id: top\n    api_proxy: yes please\n"),
        ".yaml",
        "8:16: error: devices[0].api_proxy: expected true or false or a mapping, "
        "got a string ('yes please')",
    ),
    (
        "route neither string nor mapping",
        edit("  - id: top\n", "  - id: top\n    routes: {up: 5}\n"),
        ".yaml",
        "8:18: error: devices[0].routes.up: expected a string or a mapping, got a number (5)",
    ),
    (
        "route mapping with a typo",
        edit("  - id: top\n", "  - id: top\n    routes: {up: {route: x, priorty: 1}}\n"),
        ".yaml",
        "8:29: error: devices[0].routes.up: unknown key 'priorty'; did you mean 'priority'?",
    ),
    (
        "route priority out of range",
        edit("  - id: top\n", "  - id: top\n    routes: {up: {route: x, priority: 10}}\n"),
        ".yaml",
        "8:39: error: devices[0].routes.up.priority: input should be less than or equal to 9, "
        "got 10",
    ),
    (
        "module name with a dot",
        edit("  - id: top\n", "  - id: top\n    modules: {my.module: {image: a:1}}\n"),
        ".yaml",
        "8:15: error: devices[0].modules.my.module: a string ('my.module') is not a module "
        "name (letters, digits, '-' and '_')",
    ),
    (
        "module without an image",
        edit("  - id: top\n", "  - id: top\n    modules: {sensor: {env: {A: b}}}\n"),
        ".yaml",
        "8:23: error: devices[0].modules.sensor: missing required key 'image'",
    ),
    (
        "env value that is a list",
        edit("  - id: top\n", "  - id: top\n    modules: {sensor: {image: a:1, env: {A: [1]}}}\n"),
        ".yaml",
        "8:45: error: devices[0].modules.sensor.env.A: expected a string or true or false or "
        "an integer or a number, got a list",
    ),
    (
        "env value that is a mapping (found by fuzzing)",
        edit("  - id: top\n", "  - id: top\n    modules: {sensor: {image: a:1, env: {A: {}}}}\n"),
        ".yaml",
        "8:45: error: devices[0].modules.sensor.env.A: expected a string or true or false or "
        "an integer or a number, got a mapping",
    ),
    (
        "device id with a slash",
        edit("  - id: top", "  - id: top/level"),
        ".yaml",
        "7:9: error: devices[0].id: a string ('top/level') is not an IoT Hub device id "
        "(up to 128 letters, digits and -.%_*?!(),:=@$')",
    ),
    (
        "device id that names a parent folder",
        edit("  - id: top", '  - id: ".."'),
        ".yaml",
        "7:9: error: device id '..' cannot name a folder",
    ),
    (
        "children is a mapping",
        edit("  - id: top\n", "  - id: top\n    children: {a: 1}\n"),
        ".yaml",
        "8:15: error: devices[0].children: expected a list, got a mapping",
    ),
    (
        "secret with a wrong type hides its value",
        edit('password: "${TOP_PW}"', "password: 123456"),
        ".yaml",
        "12:46: error: devices[0].connected_registry.sync_token.password: expected a string, "
        "got a value (hidden: secret field)",
    ),
    (
        "unset reference in a non-secret field",
        edit("name: topregistry", "name: ${REGISTRY_NAME}"),
        ".yaml",
        "9:13: error: environment variable REGISTRY_NAME is not set (reference ${REGISTRY_NAME})",
    ),
    (
        "malformed reference",
        edit("name: topregistry", "name: ${1bad}"),
        ".yaml",
        "9:13: error: ${1bad} is not a reference: names are letters, digits and '_'",
    ),
    (
        "not utf-8",
        BASE.replace("plant", "pl\udcffant"),
        ".yaml",
        "2:9: error: not UTF-8 text (byte 0xff)",
    ),
    (
        "json syntax error",
        '{"version": 1,\n "name": "plant",\n}\n',
        ".json",
        "3:1: error: JSON syntax error: Expecting property name enclosed in double quotes",
    ),
    (
        "json NaN, which Python's reader takes",
        '{"version": 1,\n "name": NaN}\n',
        ".json",
        "2:10: error: JSON syntax error: NaN is not a JSON value",
    ),
    (
        "yaml .nan, which JSON cannot hold",
        edit("      mode: ReadWrite", "      mode: ReadWrite\n      log_level: .nan"),
        ".yaml",
        "11:18: error: log_level: NaN is not a JSON value",
    ),
    (
        "json duplicate key",
        '{"version": 1,\n "name": "plant",\n "name": "x"}\n',
        ".json",
        "3:2: error: duplicate key 'name' (first defined at line 2)",
    ),
    (
        "json unknown key",
        '{"version": 1, "name": "plant", "devicez": []}\n',
        ".json",
        "1:1: error: the top level: missing required key 'cloud_registry'\n"
        "{file}:1:33: error: the top level: unknown key 'devicez'; did you mean 'devices'?",
    ),
]


@pytest.mark.parametrize(
    ("text", "suffix", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_exits_2_with_located_lines(
    tmp_path: Path,
    cli: Callable[..., CliResult],
    text: str,
    suffix: str,
    expected: str,
) -> None:
    path = tmp_path / f"hierarchy{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = cli("generate", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{path}:" + expected.replace("{file}", str(path)) + "\n"
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("generate", tmp_path / "nope.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path / 'nope.yaml'}: error: no such file\n"


def test_a_folder_instead_of_a_file(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("generate", tmp_path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path}: error: is a directory, expected a file\n"


def test_billion_laughs_is_refused(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("generate", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "aliases expand to more than 2,000,000 values; refusing to load" in result.stderr


@pytest.mark.parametrize(
    ("suffix", "text", "where"),
    [
        (".yaml", BASE.replace("mode: ReadWrite", "mode: ReadWrite\n      size: " + "9" * 5000),
         ":11:13"),
        (".json", '{"version": 1, "size": ' + "9" * 5000 + "}", ":1:24"),
    ],
    ids=["yaml", "json"],
)  # fmt: skip
def test_a_number_of_thousands_of_digits_is_an_input_error(
    tmp_path: Path, cli: Callable[..., CliResult], suffix: str, text: str, where: str
) -> None:
    source = tmp_path / f"big{suffix}"
    source.write_text(text)
    result = cli("generate", source, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{source}{where}: error: ")
    assert "a number of more than 4300 digits, which JSON readers refuse" in result.stderr
    assert "internal error" not in result.stderr


def test_nesting_past_the_limit_is_refused(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """Deeper than anything serialises (orjson stops at 255 levels): refused when loading,
    at the key that reaches the limit, rather than failing while rendering."""
    levels = [f"{'  ' * (5 + depth)}k{depth}:" for depth in range(300)]
    text = BASE + "    modules:\n      m:\n        image: contoso.azurecr.io/m:1\n"
    text += "        create_options:\n" + "\n".join(levels) + f"\n{'  ' * 305}v: 1\n"
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("generate", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    # devices[0].modules.m.create_options is 5 levels; k194 is the 200th
    first_line = BASE.count("\n") + 5  # the line of k0
    expected = f"{path}:{first_line + 194}:{2 * (5 + 194) + 1}: error: k194: nested more than "
    assert result.stderr == expected + "200 levels deep\n"
    assert not (tmp_path / "out").exists()
