"""`acr-edge bundle` through the CLI: the files each device gets, checked the way the
device will use them — config.toml read back with tomllib and compared with the hierarchy
and the generated manifest, chains verified by openssl, install.sh run against a temporary
root with stand-ins for `iotedge` and `update-ca-certificates`, and shellcheck."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import tomllib
import yaml

from acr_edge_cli.certificates import generate_root
from tests.conftest import EXAMPLES, SECRETS, CliResult

OPENSSL = shutil.which("openssl")
SHELLCHECK = shutil.which("shellcheck")
REQUIRED = bool(os.environ.get("ACR_EDGE_E2E_REQUIRED"))


def _needs(program: str | None, name: str) -> None:
    if program is None:
        if REQUIRED:
            pytest.fail(f"needs {name}", pytrace=False)
        pytest.skip(f"needs {name} (apt-get install {name})")


@pytest.fixture
def bundles(tmp_path: Path, cli: Callable[..., CliResult]) -> Path:
    out = tmp_path / "bundles"
    result = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.endswith(
        f"wrote bundles for 2 devices to {out}/ (root CA generated); "
        "0 errors, 0 warnings, 1 info in 1 file\n"
    )
    return out


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_device_gets_its_files_with_the_right_modes(bundles: Path) -> None:
    for device in ("top-layer", "lower-layer"):
        folder = bundles / device
        assert sorted(p.name for p in folder.iterdir()) == [
            "config.toml", "edge-ca.key.pem", "edge-ca.pem", "install.sh", "root-ca.pem",
        ]  # fmt: skip
        assert _mode(folder / "edge-ca.key.pem") == 0o600
        assert _mode(folder / "install.sh") == 0o755
        assert (folder / "root-ca.pem").read_bytes() == (bundles / "root-ca.pem").read_bytes()
    assert _mode(bundles / "root-ca.key.pem") == 0o600
    index = json.loads((bundles / "index.json").read_text())
    assert index["mode"] == "bundles"
    assert [d["id"] for d in index["devices"]] == ["top-layer", "lower-layer"]


def test_config_toml_agrees_with_the_hierarchy_and_the_manifest(
    bundles: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    hierarchy = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    assert cli("generate", EXAMPLES / "two-layer.yaml", "-o", tmp_path / "out").exit_code == 0
    for layer, device in ((0, "top-layer"), (1, "lower-layer")):
        config = tomllib.loads((bundles / device / "config.toml").read_text())
        manifest = json.loads(
            (tmp_path / f"out/layer-{layer}/{device}/deployment.json").read_text()
        )
        desired = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]
        # the agent config.toml starts is the one the manifest then keeps running
        assert (
            config["agent"]["config"]["image"]
            == (desired["systemModules"]["edgeAgent"]["settings"]["image"])
        )
        (credentials,) = desired["runtime"]["settings"]["registryCredentials"].values()
        assert config["agent"]["config"]["auth"] == {
            "serveraddress": credentials["address"],
            "username": credentials["username"],
            "password": credentials["password"],  # the same ${NAME} reference
        }
        assert config["provisioning"] == {
            "source": "manual",
            "connection_string": f"${{{device.upper().replace('-', '_')}_CONNECTION_STRING}}",
        }
        assert config["trust_bundle_cert"] == "file:///var/aziot/certs/contoso-tutorial-root-ca.pem"
        assert config["edge_ca"] == {
            "cert": "file:///var/aziot/certs/edge-ca.pem",
            "pk": "file:///var/aziot/secrets/edge-ca.key.pem",
        }
    top = tomllib.loads((bundles / "top-layer/config.toml").read_text())
    lower = tomllib.loads((bundles / "lower-layer/config.toml").read_text())
    assert top["hostname"] == hierarchy["devices"][0]["hostname"]
    assert "parent_hostname" not in top
    assert lower["parent_hostname"] == top["hostname"]
    assert top["agent"]["config"]["image"] == "contosoregistry.azurecr.io/azureiotedge-agent:1.5"
    assert lower["agent"]["config"]["image"] == "$upstream:8000/azureiotedge-agent:1.5"


def test_openssl_verifies_every_edge_ca_against_the_root(bundles: Path) -> None:
    _needs(OPENSSL, "openssl")
    assert OPENSSL is not None
    for device in ("top-layer", "lower-layer"):
        result = subprocess.run(
            [OPENSSL, "verify", "-CAfile", str(bundles / "root-ca.pem"),
             str(bundles / device / "edge-ca.pem")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.stdout.strip() == f"{bundles / device / 'edge-ca.pem'}: OK", result.stderr
        text = subprocess.run(
            [OPENSSL, "x509", "-noout", "-ext", "basicConstraints,keyUsage", "-in",
             str(bundles / device / "edge-ca.pem")],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "CA:TRUE, pathlen:0" in text and "Certificate Sign" in text
    other = generate_root("someone-else")
    (bundles.parent / "other.pem").write_bytes(other.certificate_pem)
    refused = subprocess.run(
        [OPENSSL, "verify", "-CAfile", str(bundles.parent / "other.pem"),
         str(bundles / "top-layer" / "edge-ca.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0


def test_the_root_is_reused_and_a_foreign_folder_refused(
    bundles: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    root = (bundles / "root-ca.pem").read_bytes()
    edge = (bundles / "top-layer/edge-ca.pem").read_bytes()
    again = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", bundles)
    assert again.exit_code == 0
    assert "(root CA reused)" in again.stdout
    assert (bundles / "root-ca.pem").read_bytes() == root
    assert (bundles / "top-layer/edge-ca.pem").read_bytes() != edge  # a new edge CA, same root
    (bundles / "notes.txt").write_text("mine")
    refused = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", bundles)
    assert refused.exit_code == 2
    assert "holds files acr-edge did not write (notes.txt)" in refused.stderr
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x").write_text("x")
    assert cli("bundle", EXAMPLES / "two-layer.yaml", "-o", foreign).exit_code == 2
    assert (foreign / "x").read_text() == "x"


def test_a_supplied_root_signs_the_bundles_and_its_key_stays_out(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    root = generate_root("corporate")
    (tmp_path / "root.pem").write_bytes(root.certificate_pem)
    (tmp_path / "root.key").write_bytes(root.key_pem)
    out = tmp_path / "bundles"
    result = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", out,
                 "--root-cert", tmp_path / "root.pem", "--root-key", tmp_path / "root.key")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "(root CA supplied)" in result.stdout
    assert (out / "root-ca.pem").read_bytes() == root.certificate_pem
    assert not (out / "root-ca.key.pem").exists()
    half = cli(
        "bundle", EXAMPLES / "two-layer.yaml", "-o", out, "--root-cert", tmp_path / "root.pem"
    )
    assert (half.exit_code, half.stderr) == (2, "error: --root-cert and --root-key go together\n")
    without = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", out)
    assert without.exit_code == 2
    assert "pass --root-cert and --root-key again" in without.stderr


def test_a_parent_without_hostname_writes_nothing(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    data = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    del data["devices"][0]["hostname"]
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("bundle", path, "-o", tmp_path / "bundles", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["written"] is False
    (finding,) = [d for d in report["diagnostics"] if d["rule"] == "hostname-inconsistent"]
    assert finding["severity"] == "error"
    assert finding["pointer"] == "/devices/0/id"
    assert not (tmp_path / "bundles").exists()


def test_inline_secrets_fill_config_toml_which_is_then_private(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "bundles"
    missing = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", out, "--inline-secrets")
    assert missing.exit_code == 2
    assert "TOP_LAYER_CONNECTION_STRING" in missing.stderr
    strings = {
        "TOP_LAYER_CONNECTION_STRING": "HostName=h.azure-devices.net;DeviceId=top-layer;"
        "SharedAccessKey=dG9wLWtleQ==",
        "LOWER_LAYER_CONNECTION_STRING": "HostName=h.azure-devices.net;DeviceId=lower-layer;"
        "SharedAccessKey=bG93ZXIta2V5",
    }
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text("".join(f"{k}={v}\n" for k, v in strings.items()))
    result = cli("bundle", EXAMPLES / "two-layer.yaml", "-o", out, "--inline-secrets",
                 "--secrets-file", secrets_file)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    config = tomllib.loads((out / "lower-layer/config.toml").read_text())
    assert config["provisioning"]["connection_string"] == strings["LOWER_LAYER_CONNECTION_STRING"]
    assert config["agent"]["config"]["auth"]["password"] == SECRETS["LOWER_SYNC_TOKEN_PASSWORD"]
    assert _mode(out / "lower-layer/config.toml") == 0o600
    for value in [*strings.values(), *SECRETS.values()]:
        assert value not in result.stdout + result.stderr


def _stubs(folder: Path) -> Path:
    """`iotedge`, `update-ca-certificates` and `id` as a test's stand-ins: each records how
    it was called."""
    folder.mkdir()
    for name in ("iotedge", "update-ca-certificates"):
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{folder}/calls"\n')
        script.chmod(0o755)
    (folder / "id").write_text("#!/bin/sh\nexit 1\n")  # no aziotcs/aziotks users here
    (folder / "id").chmod(0o755)
    return folder


def test_install_sh_puts_everything_where_config_toml_says(bundles: Path, tmp_path: Path) -> None:
    stubs = _stubs(tmp_path / "stubs")
    target = tmp_path / "device"
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "ACR_EDGE_INSTALL_ROOT": str(target),
        "LOWER_LAYER_CONNECTION_STRING": "HostName=h;DeviceId=lower-layer;SharedAccessKey=a+b/c=",
        "LOWER_SYNC_TOKEN_PASSWORD": 'pa$$&"word\\1',
    }
    result = subprocess.run(
        ["sh", str(bundles / "lower-layer/install.sh")], env=env, capture_output=True,
        text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    config_text = (target / "etc/aziot/config.toml").read_text()
    config = tomllib.loads(config_text)
    for key in ("trust_bundle_cert",):
        assert (target / config[key].removeprefix("file:///")).read_bytes() == (
            bundles / "root-ca.pem"
        ).read_bytes()
    assert (target / config["edge_ca"]["cert"].removeprefix("file:///")).read_bytes() == (
        bundles / "lower-layer/edge-ca.pem"
    ).read_bytes()
    key = target / config["edge_ca"]["pk"].removeprefix("file:///")
    assert _mode(key) == 0o600 and _mode(key.parent) == 0o700
    assert config["provisioning"]["connection_string"] == env["LOWER_LAYER_CONNECTION_STRING"]
    assert config["agent"]["config"]["auth"]["password"] == env["LOWER_SYNC_TOKEN_PASSWORD"]
    assert _mode(target / "etc/aziot/config.toml") == 0o600
    assert (target / "usr/local/share/ca-certificates/contoso-tutorial-root-ca.crt").is_file()
    assert _mode(target / "var/lib/connected-registry") == 0o750
    assert (stubs / "calls").read_text().splitlines() == [
        "update-ca-certificates ",
        f"iotedge config apply -c {target}/etc/aziot/config.toml",
    ]
    assert result.stdout.splitlines()[-1] == (
        "  sudo iotedge check --diagnostics-image-name "
        "top-layer.contoso.local:8000/azureiotedge-diagnostics:1.5"
    )
    del env["LOWER_SYNC_TOKEN_PASSWORD"]
    unset = subprocess.run(["sh", str(bundles / "lower-layer/install.sh")], env=env,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert unset.returncode == 2
    assert unset.stderr == (
        "install.sh: set LOWER_SYNC_TOKEN_PASSWORD first (config.toml refers to it)\n"
    )


def test_install_sh_is_shellcheck_clean(bundles: Path) -> None:
    _needs(SHELLCHECK, "shellcheck")
    assert SHELLCHECK is not None
    for device in ("top-layer", "lower-layer"):
        result = subprocess.run([SHELLCHECK, "--shell=sh", str(bundles / device / "install.sh")],
                                capture_output=True, text=True, check=False)  # fmt: skip
        assert result.returncode == 0, result.stdout


def test_deploy_and_status_refuse_a_bundles_folder(
    bundles: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "IOTHUB_CONNECTION_STRING", "HostName=h;SharedAccessKeyName=n;SharedAccessKey=aw=="
    )
    deployed = cli("deploy", bundles, "--dry-run")
    assert deployed.exit_code == 2
    assert "holds device bundles (acr-edge bundle), not manifests" in deployed.stderr
    checked = cli("validate", bundles, "--format", "json")
    assert checked.exit_code == 0
    assert json.loads(checked.stdout)["summary"]["infos"] == 1


def test_device_ids_that_would_share_a_secret_name_are_refused(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    data = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    lower = data["devices"][0]["children"][0]
    lower["children"] = [{"id": "edge.1"}, {"id": "edge-1"}]
    lower["hostname"] = "lower-layer.contoso.local"
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("bundle", path, "-o", tmp_path / "bundles", "--format", "json")
    assert result.exit_code == 1
    (finding,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["rule"] == "input"]
    assert finding["message"] == (
        "devices edge.1, edge-1 would all read their connection string from "
        "EDGE_1_CONNECTION_STRING; give them ids that differ in more than - . _ and case"
    )
    assert finding["pointer"] == "/devices/0/children/0/children/1/id"
    assert not (tmp_path / "bundles").exists()


def test_a_literal_password_in_the_hierarchy_keeps_config_toml_private(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    data = yaml.safe_load((EXAMPLES / "two-layer.yaml").read_text())
    data["devices"][0]["children"][0]["connected_registry"]["sync_token"]["password"] = "lit-Qx7"
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("bundle", path, "-o", tmp_path / "bundles")
    assert result.exit_code == 0, result.stderr
    assert _mode(tmp_path / "bundles/lower-layer/config.toml") == 0o600
    assert _mode(tmp_path / "bundles/top-layer/config.toml") == 0o644  # references only
    assert "lit-Qx7" not in result.stdout + result.stderr
