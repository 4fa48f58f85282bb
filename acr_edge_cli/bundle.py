"""`acr-edge bundle`: what each device needs on its disk to join the hierarchy.

Per device: config.toml (IoT Edge 1.4/1.5, as `iotedge config apply` reads it; keys from
Azure/iotedge edgelet/contrib/config/linux/template.toml), the hierarchy's root CA, a
full-chain edge CA and its key, and install.sh. One function builds the files
(`build_bundles`), another writes them atomically (`write_bundles`); the root CA is
generated once and kept in BUNDLES/, or supplied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from acr_edge_cli import certificates
from acr_edge_cli.diagnostics import Diagnostic, Severity
from acr_edge_cli.errors import UsageError
from acr_edge_cli.plan import AGENT_REPOSITORY, pull_credentials, resolve_image
from acr_edge_cli.render import make_environment
from acr_edge_cli.secrets import (
    REFERENCE,
    device_secret_clashes,
    device_secret_name,
    restore_references,
)

if TYPE_CHECKING:
    from acr_edge_cli.loading import LoadedHierarchy
    from acr_edge_cli.plan import DevicePlan
    from acr_edge_cli.rules.selection import RuleSelection

#: Where install.sh puts the certificates on the device (config.toml points there).
CERTS_DIR = "/var/aziot/certs"
SECRETS_DIR = "/var/aziot/secrets"
ROOT_CA_FILE = "root-ca.pem"
ROOT_KEY_FILE = "root-ca.key.pem"
DIAGNOSTICS_REPOSITORY = "azureiotedge-diagnostics"


@dataclass
class BundleResult:
    hierarchy: str
    #: relative path -> bytes; install.sh executable, keys private
    files: dict[str, bytes] = field(default_factory=dict)
    devices: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: files written 0600: keys, and config.toml when it holds inlined secrets
    private: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


def _secret_names(value: str) -> list[str]:
    return REFERENCE.findall(value)


def _device_paths(hierarchy: str) -> dict[str, str]:
    return {
        "root_ca": f"{CERTS_DIR}/{hierarchy}-root-ca.pem",
        "edge_ca": f"{CERTS_DIR}/edge-ca.pem",
        "edge_ca_key": f"{SECRETS_DIR}/edge-ca.key.pem",
        "trust_store_file": f"/usr/local/share/ca-certificates/{hierarchy}-root-ca.crt",
    }


def _config(
    plan: DevicePlan,
    loaded: LoadedHierarchy,
    paths: Mapping[str, str],
    environ: Mapping[str, str],
    inline_secrets: bool,
) -> tuple[str, list[str], bool]:
    """config.toml, the ${NAME} secrets it still refers to, and whether it holds a secret
    itself (inlined, or a password written literally in the hierarchy)."""
    hierarchy = loaded.hierarchy
    login_server = hierarchy.cloud_registry.login_server
    config: dict[str, Any] = {}
    holds_secret = inline_secrets
    if plan.device.hostname:
        config["hostname"] = plan.device.hostname
    if plan.parent is not None and plan.parent.device.hostname:
        config["parent_hostname"] = plan.parent.device.hostname
    config["trust_bundle_cert"] = f"file://{paths['root_ca']}"
    secret = device_secret_name(plan.id)
    connection_string = f"${{{secret}}}"
    if inline_secrets:
        value = environ.get(secret)
        if not value:
            raise UsageError(
                f"--inline-secrets: {secret} (the connection string of {plan.id}, as "
                "`provision --secrets-out` writes it) is not set"
            )
        connection_string = value
    config["provisioning"] = {"source": "manual", "connection_string": connection_string}
    image = resolve_image(f"{AGENT_REPOSITORY}:{plan.runtime.version}", plan, login_server)
    agent: dict[str, Any] = {"name": "edgeAgent", "type": "docker", "config": {"image": image}}
    credentials = pull_credentials(plan, login_server)
    if credentials:
        (entry,) = credentials.values()
        password = restore_references(entry["password"])
        holds_secret = holds_secret or not REFERENCE.fullmatch(password)
        agent["config"]["auth"] = {
            "serveraddress": entry["address"],
            "username": entry["username"],
            "password": password,
        }
    config["agent"] = agent
    config["edge_ca"] = {"cert": f"file://{paths['edge_ca']}",
                         "pk": f"file://{paths['edge_ca_key']}"}  # fmt: skip
    text = tomli_w.dumps(config)
    return text, sorted(set(_secret_names(text))), holds_secret


def _check_command(plan: DevicePlan) -> str:
    """`iotedge check`, with the diagnostics image through the parent's API proxy below
    the top. `iotedge check` prefixes only an image name starting with `/` with the parent
    hostname, and without a port (Azure/iotedge edgelet/iotedge/src/check/checks/
    connect_management_uri.rs), so the name is written out in full."""
    if plan.parent is None:
        return "iotedge check"
    parent_host = plan.parent.device.hostname or plan.parent.id
    image = f"{parent_host}:{plan.upstream_port}/{DIAGNOSTICS_REPOSITORY}:{plan.runtime.version}"
    return f"iotedge check --diagnostics-image-name {image}"


#: Hierarchy findings a bundle cannot be written with, whatever their usual severity: the
#: certificates are issued for the hostnames and children verify them as parent_hostname.
BLOCKING_RULES = ("hostname-inconsistent", "hostname-invalid")


def hierarchy_findings(loaded: LoadedHierarchy, rules: RuleSelection) -> list[Diagnostic]:
    """The hierarchy's findings, the hostname rules as errors."""
    from acr_edge_cli.rules import engine

    return [
        dataclasses.replace(d, severity=Severity.ERROR) if d.rule in BLOCKING_RULES else d
        for d in engine.check_hierarchy(loaded.document, loaded.plan, rules=rules)
    ]


def build_bundles(
    loaded: LoadedHierarchy,
    root: certificates.RootCA,
    *,
    environ: Mapping[str, str],
    inline_secrets: bool = False,
    keep_root_key: bool = True,
    rules: RuleSelection | None = None,
) -> BundleResult:
    """Every device's files (relative POSIX path -> bytes); the root CA at the top. Nothing
    is built when the hierarchy has an error."""
    from acr_edge_cli.rules.selection import DEFAULT

    name = loaded.hierarchy.name
    result = BundleResult(name)
    result.diagnostics += hierarchy_findings(loaded, rules or DEFAULT)
    plans = {plan.id: plan for plan in loaded.plan.devices}
    for secret, ids in device_secret_clashes(list(plans)).items():
        result.diagnostics.append(
            loaded.document.diagnostic(
                (*plans[ids[1]].source, "id"),
                f"devices {', '.join(ids)} would all read their connection string from "
                f"{secret}; give them ids that differ in more than - . _ and case",
            )
        )
    if not result.ok:
        return result
    result.files[ROOT_CA_FILE] = root.certificate_pem
    if keep_root_key:
        result.files[ROOT_KEY_FILE] = root.key_pem
        result.private.add(ROOT_KEY_FILE)
    template = make_environment().get_template("bundle/install.sh.j2")
    paths = _device_paths(name)
    for plan in loaded.plan.devices:
        config, secrets, holds_secret = _config(plan, loaded, paths, environ, inline_secrets)
        edge_ca = certificates.issue_edge_ca(root, plan.id)
        folder = plan.id
        result.files[f"{folder}/config.toml"] = config.encode("utf-8")
        result.files[f"{folder}/root-ca.pem"] = root.certificate_pem
        result.files[f"{folder}/edge-ca.pem"] = edge_ca.certificate_pem
        result.files[f"{folder}/edge-ca.key.pem"] = edge_ca.key_pem
        result.private.add(f"{folder}/edge-ca.key.pem")
        if holds_secret:
            result.private.add(f"{folder}/config.toml")
        script = template.render(
            device_id=plan.id,
            hierarchy=name,
            secrets=secrets,
            certs_dir=CERTS_DIR,
            secrets_dir=SECRETS_DIR,
            data_dir=plan.registry.data_dir if plan.registry else None,
            check_command=_check_command(plan),
            **paths,
        )
        result.files[f"{folder}/install.sh"] = script.encode("utf-8")
        result.devices.append(
            {"id": plan.id, "parent": plan.parent.id if plan.parent else None,
             "layer": plan.layer, "secrets": secrets}
        )  # fmt: skip
    return result


def existing_root(out: Path) -> certificates.RootCA | None:
    """The root CA an earlier run generated into OUT, reused so that devices already
    installed keep trusting their children; None when there is none."""
    cert, key = out / ROOT_CA_FILE, out / ROOT_KEY_FILE
    if not cert.is_file():
        return None
    if not key.is_file():
        raise UsageError(
            f"{cert} was supplied (its key is not in {out}): pass --root-cert and --root-key "
            "again, or remove the folder to start a new root"
        )
    try:
        return certificates.load_root(cert.read_bytes(), key.read_bytes())
    except certificates.CertificateError as error:
        raise UsageError(f"{cert}: {error}") from None
    except OSError as error:
        raise UsageError(f"{cert}: cannot read it ({error.strerror})") from None


def write_bundles(result: BundleResult, out: Path, *, force: bool = False) -> None:
    """Replace OUT with the bundles, atomically, with an index.json that says what is in it."""
    from acr_edge_cli.output import (
        INDEX_NAME,
        StagedOutput,
        bundles_index_document,
        generator,
        serialize_json,
    )

    index = bundles_index_document(
        result.hierarchy, generator(), result.devices, sorted(result.files)
    )
    with StagedOutput(out, force=force) as staged:
        for relative, data in sorted(result.files.items()):
            mode = None
            if relative in result.private:
                mode = 0o600
            elif relative.endswith("/install.sh"):
                mode = 0o755
            staged.add(relative, data, mode=mode)
        staged.add(INDEX_NAME, serialize_json(index))
        staged.commit()
