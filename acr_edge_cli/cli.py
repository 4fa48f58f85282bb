"""The command line: parse options, call the library, print, exit. Nothing else.

The library is imported inside each command, so `acr-edge --version` and `--help` start
without loading pydantic, jinja2 or jsonschema.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from acr_edge_cli import __version__
from acr_edge_cli.errors import EXIT_INPUT, AcrEdgeError, InputError, UsageError

if TYPE_CHECKING:
    from acr_edge_cli.rules.selection import RuleSelection

app = typer.Typer(
    name="acr-edge",
    help=(
        "Generate, validate and deploy nested IoT Edge manifests for the ACR connected "
        "registry and the IoT Edge API proxy."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}

#: What reports are printed with (rich: 0.05 s to import), imported while a hierarchy file
#: is parsed rather than before.
REPORTING = "acr_edge_cli.reporting"


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class OutputKind(str, Enum):
    manifests = "manifests"
    configurations = "configurations"


class FileKindOption(str, Enum):
    """validate --kind: the values of file_kinds.Kind (kept here: the CLI loads it lazily)."""

    hierarchy = "hierarchy"
    manifest = "manifest"
    az_wrapper = "az-wrapper"
    layered = "layered"
    configuration = "configuration"
    template = "template"
    other = "other"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"acr-edge {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")
    ] = False,
) -> None:
    _state["debug"] = debug or bool(os.environ.get("ACR_EDGE_DEBUG"))


@contextmanager
def _reported_errors(output_format: str = "text") -> Iterator[None]:
    """AcrEdgeErrors become their message on stderr (or a JSON document) and an exit code."""
    try:
        yield
    except InputError as error:
        from acr_edge_cli import reporting

        if output_format == "json":
            typer.echo(reporting.json_report(error.diagnostics, files=1))
        else:
            reporting.print_input_errors(reporting.make_console(stderr=True), error.diagnostics)
        raise typer.Exit(error.exit_code) from None
    except AcrEdgeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """generate and validate make one pass over trees (the hierarchy, its plan, manifests;
    rendering and checking leave no cyclic garbage): there the cyclic garbage collector
    only rescans the growing heap, 0.4 s of 10,000 devices. Reference counting frees
    everything; forked workers inherit the setting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h)?")
_UNIT_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600}


def _duration(option: str, text: str) -> float:
    """Seconds of a duration given as `90`, `90s`, `10m` or `1h`."""
    match = _DURATION.fullmatch(text.strip())
    if not match or float(match[1]) <= 0:
        raise UsageError(f"{option} {text}: give a duration above 0, such as 90s, 10m or 1h")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


@contextmanager
def _fleet_progress(fmt: str, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar for a large fleet on a terminal (stderr), in the text format only."""
    if fmt != "text" or not sys.stderr.isatty():
        yield None
        return
    from acr_edge_cli import reporting

    with reporting.FleetProgress(reporting.make_console(stderr=True), what) as bar:
        yield bar.update


def _explain(rule_name: str) -> str | None:
    from acr_edge_cli import reporting, rules

    rule = rules.BY_NAME.get(rule_name)
    return reporting.fix_of(rule.explanation) if rule else None


def _rule_selection(disable: list[str] | None, strict: bool) -> RuleSelection:
    from acr_edge_cli.rules.selection import RuleSelection

    # an unknown name is a usage error, not silently ignored
    return RuleSelection.from_options(disable or [], strict=strict)


DisableOption = Annotated[
    list[str] | None,
    typer.Option("--disable", metavar="RULE", help="Do not run RULE (repeatable)."),
]
GenerateStrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Warnings block writing too (exit 1), not only errors."),
]
ValidateStrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Warnings fail the run too (exit 1), not only errors."),
]


SecretsFileOption = Annotated[
    Path | None,
    typer.Option(
        "--secrets-file",
        metavar="FILE",
        help="Read ${NAME} secrets from this NAME=value file (as `provision --secrets-out` "
        "writes it) as well as the environment; the file wins.",
    ),
]


def _environ(secrets_file: Path | None) -> dict[str, str]:
    """The environment, with the secrets file's values over it."""
    if secrets_file is None:
        return dict(os.environ)
    from acr_edge_cli.secrets import read_secrets_file

    return {**os.environ, **read_secrets_file(secrets_file)}


HierarchyArgument = Annotated[
    Path, typer.Argument(metavar="HIERARCHY", help="The hierarchy file (YAML or JSON).")
]


@app.command()
def generate(
    hierarchy: HierarchyArgument,
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Output folder (replaced atomically).")
    ] = Path("out"),
    inline_secrets: Annotated[
        bool,
        typer.Option(
            "--inline-secrets", help="Resolve ${NAME} in secret fields instead of keeping them."
        ),
    ] = False,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", help="Report format.")
    ] = TextOrJson.text,
    strict: GenerateStrictOption = False,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            metavar="DIR",
            help="Templates that override the bundled ones (rendered in a sandbox).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace OUT even if acr-edge did not write it.")
    ] = False,
    disable: DisableOption = None,
    secrets_file: SecretsFileOption = None,
    kind: Annotated[
        OutputKind,
        typer.Option(
            "--as",
            help="manifests: one deployment.json per device; configurations: IoT Hub automatic "
            "deployments (a base per layer, layered ones for what differs) in OUT/configurations/.",
        ),
    ] = OutputKind.manifests,
) -> None:
    """Render one deployment.json per device into OUT/layer-<N>/<device>/.

    Nothing is written when any check finds an error. Example:

        acr-edge generate examples/two-layer.yaml -o out
    """
    from acr_edge_cli.generate import generate as generate_manifests
    from acr_edge_cli.output import StagedOutput

    fmt = output_format.value
    with _reported_errors(fmt), _no_cycle_collection():
        selection = _rule_selection(disable, strict)
        inputs = [hierarchy] if templates is None else [hierarchy, templates]
        with (
            StagedOutput(out, force=force, private=inline_secrets, inputs=inputs) as staged,
            _fleet_progress(fmt, "rendering and checking") as progress,
        ):
            result = generate_manifests(
                hierarchy,
                output=str(out),
                environ=_environ(secrets_file),
                inline_secrets=inline_secrets,
                templates=templates,
                rules=selection,
                as_configurations=kind is OutputKind.configurations,
                staged=staged,
                import_meanwhile=(REPORTING,),
                progress=progress,
            )
    code = selection.exit_code(result.diagnostics)
    from acr_edge_cli import reporting

    files = 1 + (len(result.configurations) or len(result.manifests))
    if fmt == "json":
        typer.echo(
            reporting.json_report(
                result.diagnostics,
                files,
                output=str(out),
                written=result.written,
                devices=result.index()["devices"],
            )
        )
    else:
        console = reporting.make_console()
        reporting.print_diagnostics(console, result.diagnostics, _explain)
        if result.written and result.as_configurations:
            console.print(
                f"wrote {len(result.configurations)} deployments for {len(result.manifests)} "
                f"devices to {out}/configurations/; "
                f"{reporting.summary_line(result.diagnostics, files)}"
            )
        elif result.written:
            layers = sorted({m.device.layer for m in result.manifests})
            per_layer = ", ".join(
                f"layer-{n}: {sum(1 for m in result.manifests if m.device.layer == n)}"
                for n in layers
            )
            console.print(
                f"wrote {len(result.manifests)} manifests to {out}/ ({per_layer}); "
                f"{reporting.summary_line(result.diagnostics, files)}"
            )
        else:
            reporting.make_console(stderr=True).print(
                f"nothing written: {reporting.summary_line(result.diagnostics, files)}"
            )
    raise typer.Exit(code)


@app.command()
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...", help="Hierarchy files, deployment manifests (*.json) or folders."
        ),
    ],
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="Report format.")
    ] = ReportFormat.text,
    strict: ValidateStrictOption = False,
    disable: DisableOption = None,
    nginx: Annotated[
        bool,
        typer.Option(
            "--nginx",
            help="Also run `nginx -t` on the configuration each API proxy would run "
            "(needs nginx and openssl; skipped with a note otherwise).",
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="FILE",
            help="Write the json, sarif or github report to FILE instead of standard output "
            "(for CI steps that run no shell).",
        ),
    ] = None,
    kind: Annotated[
        FileKindOption | None,
        typer.Option(
            "--kind",
            help="Read every file as this kind instead of telling by its name and keys "
            '(az-wrapper: {"content": {"modulesContent"}}; other: skip).',
        ),
    ] = None,
) -> None:
    """Check hierarchy files and manifests offline: JSON Schemas and every rule.

    Each JSON file is read as what it is: a manifest, the az wrapper, a layered deployment,
    an IoT Hub configuration, a deployment template (placeholders are unknown, not wrong),
    or no manifest at all (skipped with a note).

    Examples:

        acr-edge validate examples/factory-isa95.yaml

        acr-edge validate out/ --format sarif > acr-edge.sarif
    """
    from acr_edge_cli.file_kinds import Kind
    from acr_edge_cli.validate import check_proxies_with_nginx, validate_paths

    fmt = output_format.value
    with _reported_errors(fmt), _no_cycle_collection():
        if report is not None and fmt == "text":
            raise UsageError("--report writes a json, sarif or github report: add --format")
        selection = _rule_selection(disable, strict)
        with _fleet_progress(fmt, "checking") as progress:
            result = validate_paths(
                paths,
                environ=os.environ,
                rules=selection,
                collect_proxies=nginx,
                import_meanwhile=(REPORTING,),
                progress=progress,
                kind=Kind(kind.value) if kind is not None else None,
            )
        if nginx and selection.runs("nginx"):
            from acr_edge_cli.proxyconfig import nginx_tools

            tools = nginx_tools()
            if isinstance(tools, str):
                typer.echo(f"note: {tools} not installed; --nginx checks skipped", err=True)
            else:
                result.diagnostics = sorted(
                    result.diagnostics + check_proxies_with_nginx(result, tools, selection)
                )
    from acr_edge_cli import reporting, rules

    diagnostics = result.diagnostics
    files = len(result.files)
    text = None
    if fmt == "json":
        text = reporting.json_report(diagnostics, files)
    elif fmt == "sarif":
        text = reporting.sarif_report(diagnostics, rules.ALL_RULES)
    elif fmt == "github":
        text = reporting.github_report(diagnostics) if diagnostics else ""
    if text is not None and report is not None:
        with _reported_errors():
            try:
                report.write_text(text + "\n" if text else "", encoding="utf-8")
            except OSError as error:
                raise UsageError(f"cannot write {report}: {error.strerror}") from None
        typer.echo(f"{reporting.summary_line(diagnostics, files)}; report in {report}", err=True)
    elif text is not None:
        if text:
            typer.echo(text)
    else:
        console = reporting.make_console()
        reporting.print_diagnostics(console, diagnostics, _explain, result.kinds)
        console.print(reporting.summary_line(diagnostics, files))
    raise typer.Exit(selection.exit_code(diagnostics))


class Cloud(str, Enum):
    AzureCloud = "AzureCloud"
    AzureChinaCloud = "AzureChinaCloud"
    AzureUSGovernment = "AzureUSGovernment"


CloudOption = Annotated[
    Cloud, typer.Option("--cloud", help="The Azure cloud (ACR_EDGE_ARM_ENDPOINT overrides).")
]
ArmTokenEnvOption = Annotated[
    str,
    typer.Option(
        "--arm-token-env",
        metavar="NAME",
        help="Environment variable holding a Resource Manager bearer token; unset: "
        "sign in with azure-identity (DefaultAzureCredential).",
    ),
]


def _registry_reader(
    index: Any, cloud: Cloud, arm_token_env: str, seconds: float, skip: bool
) -> Any:
    """For status: reads each connected registry through ARM, when the folder records the
    cloud registry's resource id (and --skip-registries is not given); else None."""
    if skip or index.registries is None:
        return None
    from acr_edge_cli.arm import ArmClient, RegistryId, arm_settings
    from acr_edge_cli.calls import Deadline

    registry = RegistryId.parse(index.registries[0])
    if registry is None:
        raise UsageError(f"{index.folder}: index.json names no registry resource id")
    try:
        settings = arm_settings(cloud.value, os.environ, arm_token_env)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return ArmClient(settings, registry, deadline=Deadline(seconds)).get_connected_registry


SkipRegistriesOption = Annotated[
    bool,
    typer.Option(
        "--skip-registries",
        help="Do not read the connected registries' state from Resource Manager.",
    ),
]


ConnectionStringEnvOption = Annotated[
    str,
    typer.Option(
        "--connection-string-env",
        metavar="NAME",
        help="Environment variable holding the IoT Hub connection string.",
    ),
]
HubOption = Annotated[
    str | None,
    typer.Option(
        "--hub", metavar="HOST", help="Sign in with Microsoft Entra ID to this IoT Hub host."
    ),
]


@app.command()
def deploy(
    out: Annotated[
        Path, typer.Argument(metavar="OUT", help="A folder written by `acr-edge generate`.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Change nothing: show what would change per device.")
    ] = False,
    device: Annotated[
        list[str] | None,
        typer.Option("--device", metavar="ID", help="Deploy only this device (repeatable)."),
    ] = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", help="Report format.")
    ] = TextOrJson.text,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", min=1, max=64, help="Devices deployed at once, per layer."),
    ] = 16,
    rate: Annotated[
        float, typer.Option("--rate", min=0.1, help="At most this many IoT Hub calls a second.")
    ] = 200.0,
    force: Annotated[
        bool, typer.Option("--force", help="Apply devices whose twins already match too.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before applying.")] = False,
    connection_string_env: ConnectionStringEnvOption = "IOTHUB_CONNECTION_STRING",
    hub: HubOption = None,
    secrets_file: SecretsFileOption = None,
    cloud: CloudOption = Cloud.AzureCloud,
    arm_token_env: ArmTokenEnvOption = "ACR_EDGE_ARM_TOKEN",
    skip_registries: SkipRegistriesOption = False,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="Give up on devices not done after this long: seconds, or 90s, 10m, 1h "
            "(with --wait: deploy and the wait together).",
        ),
    ] = "30m",
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Then wait until every device runs it (acr-edge status --wait)."
        ),
    ] = False,
) -> None:
    """Apply a generated folder through the IoT Hub service SDK, parents first.

    Secrets (${NAME}) are read from the environment; unchanged devices are skipped.
    Examples:

        IOTHUB_CONNECTION_STRING=... acr-edge deploy out --dry-run

        acr-edge deploy out --hub contoso-hub.azure-devices.net --yes
    """
    from acr_edge_cli import deploy as deployment
    from acr_edge_cli import reporting

    fmt = output_format.value
    with _reported_errors(fmt):
        if not math.isfinite(rate) or rate <= 0:
            raise UsageError(f"--rate {rate}: give a number of calls a second above 0")
        seconds = _duration("--timeout", timeout)
        if wait and dry_run:
            raise UsageError("--wait waits for what deploy applies; a --dry-run applies nothing")
        environ = _environ(secrets_file)
        at_scale = deployment.load_configurations(out, environ)
        if at_scale is not None and device:
            raise UsageError(
                "--device selects devices of a per-device folder; automatic deployments "
                "target devices by their tags"
            )
        targets = (
            at_scale.devices if at_scale else deployment.load_targets(out, environ, device or [])
        )
        if hub is None and not os.environ.get(connection_string_env):
            raise UsageError(
                f"set the IoT Hub connection string in {connection_string_env}, or sign in "
                "with --hub HOST"
            )
        ask = not (dry_run or yes)
        if ask and not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise UsageError(
                f"deploy applies {len(targets)} device manifests to IoT Hub and cannot ask "
                "first (no terminal); pass --yes to apply, or --dry-run to see the plan"
            )
        started = time.monotonic()
        client = _hub_client(connection_string_env, hub, rate, seconds)
        console = reporting.make_console(stderr=fmt == "json")
        layers: dict[int, int] = {}
        for target in targets:
            layers[target.layer] = layers.get(target.layer, 0) + 1

        def run(plan_only: bool) -> deployment.DeployResult:
            so_far = deployment.DeployResult(plan_only)  # what to tell when stopped midway
            try:
                if at_scale is not None:
                    return deployment.deploy_configurations(
                        at_scale,
                        client,
                        dry_run=plan_only,
                        concurrency=concurrency,
                        on_outcome=so_far.outcomes.append,
                    )
                with reporting.DeployProgress(console, layers) as progress:

                    def arrived(outcome: deployment.Outcome) -> None:
                        so_far.outcomes.append(outcome)
                        progress.advance(outcome.layer)

                    return deployment.deploy(
                        targets,
                        client,
                        dry_run=plan_only,
                        force=force,
                        concurrency=concurrency,
                        on_outcome=arrived,
                    )
            except (KeyboardInterrupt, SystemExit):
                _print_deploy(fmt, so_far)
                stopped = "the outcomes above are all this run did before it was stopped"
                typer.echo(stopped, err=True)
                raise

        if ask:  # as terraform apply: the plan first, then one question
            plan = run(plan_only=True)
            reporting.print_deploy_result(reporting.make_console(), plan)
            if plan.failed:
                raise typer.Exit(1)
            pending = plan.pending()
            if not pending:
                typer.echo("nothing to apply")
                raise typer.Exit(0)
            typer.confirm(f"Apply {pending} changes to IoT Hub?", abort=True)
        result = run(plan_only=dry_run)
        waited = None
        if wait and not result.failed:
            from acr_edge_cli import status as statuses
            from acr_edge_cli.output import read_index

            index = read_index(out)
            assert index is not None  # deploy read it
            left = max(0.0, seconds - (time.monotonic() - started))
            registries = _registry_reader(index, cloud, arm_token_env, left, skip_registries)
            waited = statuses.wait_for_status(index, client, left, registries=registries)
    if fmt == "json" and waited is not None:
        deployed = json.loads(reporting.deploy_json(result))
        typer.echo(json.dumps({**deployed, "status": json.loads(reporting.status_json(waited))},
                              indent=2, ensure_ascii=False))  # fmt: skip
    else:
        _print_deploy(fmt, result)
        if waited is not None:
            reporting.print_status(reporting.make_console(), waited, client.host)
    raise typer.Exit(1 if result.failed or (waited is not None and not waited.ok) else 0)


def _print_deploy(fmt: str, result: Any) -> None:
    from acr_edge_cli import reporting

    if fmt == "json":
        typer.echo(reporting.deploy_json(result))
    else:
        reporting.print_deploy_result(reporting.make_console(), result)


def _hub_client(connection_string_env: str, hub: str | None, rate: float, seconds: float) -> Any:
    """The IoT Hub client for deploy and status, from the options (secrets never on the
    command line)."""
    from acr_edge_cli.calls import Deadline
    from acr_edge_cli.iothub import HubClient

    if not math.isfinite(rate) or rate <= 0:
        raise UsageError(f"--rate {rate}: give a number of calls a second above 0")
    connection_string = None if hub else os.environ.get(connection_string_env)
    if hub is None and not connection_string:
        raise UsageError(
            f"set the IoT Hub connection string in {connection_string_env}, or sign in "
            "with --hub HOST"
        )
    return HubClient(
        connection_string=connection_string, hub_host=hub, rate=rate, deadline=Deadline(seconds)
    )


@app.command()
def status(
    out: Annotated[
        Path, typer.Argument(metavar="OUT", help="A folder written by `acr-edge generate`.")
    ],
    wait: Annotated[
        bool, typer.Option("--wait", help="Look again until everything has converged.")
    ] = False,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="With --wait: give up after this long (seconds, or 90s, 10m, 1h).",
        ),
    ] = "10m",
    output_format: Annotated[
        TextOrJson, typer.Option("--format", help="Report format.")
    ] = TextOrJson.text,
    rate: Annotated[
        float, typer.Option("--rate", help="At most this many IoT Hub calls a second.")
    ] = 200.0,
    connection_string_env: ConnectionStringEnvOption = "IOTHUB_CONNECTION_STRING",
    hub: HubOption = None,
    cloud: CloudOption = Cloud.AzureCloud,
    arm_token_env: ArmTokenEnvOption = "ACR_EDGE_ARM_TOKEN",
    skip_registries: SkipRegistriesOption = False,
) -> None:
    """Whether every device runs what deploy applied: edgeAgent's applied version and each
    module's state, parents first, and each connected registry's connection state (when
    the hierarchy names the registry's resource_id); exit 0 converged, 1 not, 3
    unreachable.

    Examples:

        acr-edge status out

        acr-edge status out --wait --timeout 10m --format json
    """
    from acr_edge_cli import reporting
    from acr_edge_cli import status as statuses
    from acr_edge_cli.output import read_index

    fmt = output_format.value
    with _reported_errors(fmt):
        seconds = _duration("--timeout", timeout)
        index = read_index(out) if out.is_dir() else None
        if index is None or index.as_bundles:
            raise UsageError(f"{out}: not a folder written by acr-edge generate")
        client = _hub_client(connection_string_env, hub, rate, seconds if wait else 3600)
        registries = _registry_reader(
            index, cloud, arm_token_env, seconds if wait else 3600, skip_registries
        )
        if wait:
            result = statuses.wait_for_status(index, client, seconds, registries=registries)
        else:
            result = statuses.read_status(index, client, registries)
    if fmt == "json":
        typer.echo(reporting.status_json(result))
    else:
        reporting.print_status(reporting.make_console(), result, client.host)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def provision(
    hierarchy: HierarchyArgument,
    apply: Annotated[
        bool, typer.Option("--apply", help="Make ACR and IoT Hub match the file (else: plan).")
    ] = False,
    secrets_out: Annotated[
        Path | None,
        typer.Option(
            "--secrets-out",
            metavar="FILE",
            help="Where generated sync token passwords and the devices' connection strings "
            "go (NAME=value lines, mode 0600); also read, so that a second run finds them.",
        ),
    ] = None,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Generate new sync token passwords for every token.")
    ] = False,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", help="Report format.")
    ] = TextOrJson.text,
    cloud: CloudOption = Cloud.AzureCloud,
    arm_token_env: ArmTokenEnvOption = "ACR_EDGE_ARM_TOKEN",
    connection_string_env: ConnectionStringEnvOption = "IOTHUB_CONNECTION_STRING",
    hub: HubOption = None,
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout", metavar="DURATION", help="Give up after this long (90s, 10m, 1h)."
        ),
    ] = "30m",
) -> None:
    """Create what the hierarchy names in ACR and IoT Hub: connected registries with their
    sync scope maps, tokens and passwords, client tokens, and IoT Edge identities with
    their parents. Plans by default; never deletes.

        acr-edge provision examples/two-layer.yaml

        acr-edge provision examples/two-layer.yaml --apply --secrets-out secrets.env

    A bearer token in ACR_EDGE_ARM_TOKEN (az account get-access-token) is used when set.
    """
    from acr_edge_cli import provision as provisioning
    from acr_edge_cli import reporting, secrets
    from acr_edge_cli.arm import ArmClient, RegistryId, arm_settings
    from acr_edge_cli.calls import Deadline
    from acr_edge_cli.loading import load_hierarchy
    from acr_edge_cli.secrets import read_secrets_file, write_secrets_file

    fmt = output_format.value
    with _reported_errors(fmt):
        seconds = _duration("--timeout", timeout)
        loaded = load_hierarchy(hierarchy, environ=os.environ)
        resource_id = loaded.hierarchy.cloud_registry.resource_id
        if resource_id is None:
            raise InputError(
                [
                    loaded.document.diagnostic(
                        ("cloud_registry",),
                        "cloud_registry.resource_id is required by provision: the registry's "
                        "ARM id, /subscriptions/<id>/resourceGroups/<group>/providers/"
                        "Microsoft.ContainerRegistry/registries/<name>",
                        key=True,
                    )
                ]
            )
        registry = RegistryId.parse(resource_id)
        assert registry is not None  # the model's pattern admits only parseable ids
        clashes = secrets.device_secret_clashes([d.id for d in loaded.plan.devices])
        if secrets_out is not None and clashes:
            secret, ids = next(iter(clashes.items()))
            raise UsageError(
                f"devices {', '.join(ids)} would share {secret} in {secrets_out}; give them "
                "ids that differ in more than - . _ and case"
            )
        environ = dict(os.environ)
        if secrets_out is not None and secrets_out.exists():
            environ |= read_secrets_file(secrets_out)
        try:
            settings = arm_settings(cloud.value, os.environ, arm_token_env)
        except ValueError as error:
            raise UsageError(str(error)) from None
        deadline = Deadline(seconds)
        arm = ArmClient(settings, registry, deadline=deadline)
        hub_client = _hub_client(connection_string_env, hub, 100.0, seconds)
        desired = provisioning.desired_state(loaded.plan, registry)
        result = provisioning.plan_provision(desired, arm, hub_client, environ, rotate=rotate)
        generates = [a for a in result.actions if a.resource.kind == "password"
                     and a.action == "create"]  # fmt: skip
        if apply and generates and secrets_out is None:
            names = ", ".join(a.changes["secret"] for a in generates)
            raise UsageError(
                f"provision would generate sync token passwords ({names}) and print none: "
                "name the file they go to with --secrets-out FILE"
            )
        if apply:
            console = reporting.make_console(stderr=True)
            total = len(desired.resources)
            done = 0

            def progress(action: provisioning.Action) -> None:
                nonlocal done
                done += 1
                if action.action != "unchanged":
                    reporting.print_provision_progress(console, done, total, action)

            result = provisioning.apply_provision(
                desired,
                arm,
                hub_client,
                environ,
                rotate=rotate,
                on_action=progress,
                device_connection_strings=secrets_out is not None,
                plan=result,
            )
            if result.passwords:
                assert secrets_out is not None
                write_secrets_file(secrets_out, result.passwords)
    if fmt == "json":
        typer.echo(reporting.provision_json(result))
    else:
        reporting.print_provision(reporting.make_console(), result)
    raise typer.Exit(1 if result.failed else 0)


@app.command()
def bundle(
    hierarchy: HierarchyArgument,
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Bundles folder (replaced atomically).")
    ] = Path("bundles"),
    root_cert: Annotated[
        Path | None,
        typer.Option("--root-cert", metavar="PEM", help="Your root CA certificate (PEM)."),
    ] = None,
    root_key: Annotated[
        Path | None,
        typer.Option("--root-key", metavar="PEM", help="Its unencrypted private key (PEM)."),
    ] = None,
    inline_secrets: Annotated[
        bool,
        typer.Option(
            "--inline-secrets",
            help="Write the secrets config.toml needs (connection strings, pull passwords) "
            "instead of ${NAME} references that install.sh fills in.",
        ),
    ] = False,
    secrets_file: SecretsFileOption = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", help="Report format.")
    ] = TextOrJson.text,
    force: Annotated[
        bool, typer.Option("--force", help="Replace OUT even if acr-edge did not write it.")
    ] = False,
    disable: DisableOption = None,
) -> None:
    """Write per device what it needs on its disk: config.toml, the root CA, a full-chain
    edge CA and its key, and install.sh. The root CA is generated once into OUT and reused.

        acr-edge bundle examples/two-layer.yaml -o bundles
    """
    from acr_edge_cli import bundle as bundles
    from acr_edge_cli import certificates, reporting
    from acr_edge_cli.loading import load_hierarchy

    fmt = output_format.value
    with _reported_errors(fmt):
        selection = _rule_selection(disable, False)
        if (root_cert is None) != (root_key is None):
            raise UsageError("--root-cert and --root-key go together")
        environ = _environ(secrets_file)
        loaded = load_hierarchy(hierarchy, environ=environ, inline_secrets=inline_secrets)
        if root_cert is not None and root_key is not None:
            try:
                root = certificates.load_root(root_cert.read_bytes(), root_key.read_bytes())
            except OSError as error:
                raise UsageError(f"cannot read the root CA ({error.strerror})") from None
            except certificates.CertificateError as error:
                raise UsageError(f"{root_cert}: {error}") from None
            origin = "supplied"
        else:
            existing = bundles.existing_root(out) if out.is_dir() else None
            root = existing or certificates.generate_root(loaded.hierarchy.name)
            origin = "reused" if existing else "generated"
        result = bundles.build_bundles(
            loaded,
            root,
            environ=environ,
            inline_secrets=inline_secrets,
            keep_root_key=origin != "supplied",
            rules=selection,
        )
        if result.ok:
            bundles.write_bundles(result, out, force=force)
    if fmt == "json":
        typer.echo(
            reporting.json_report(
                result.diagnostics,
                1,
                output=str(out),
                written=result.ok,
                root=origin,
                devices=result.devices,
            )
        )
    else:
        console = reporting.make_console()
        reporting.print_diagnostics(console, result.diagnostics, _explain)
        if result.ok:
            console.print(
                f"wrote bundles for {len(result.devices)} devices to {out}/ (root CA {origin}); "
                f"{reporting.summary_line(result.diagnostics, 1)}"
            )
        else:
            console.print(f"nothing written; {reporting.summary_line(result.diagnostics, 1)}")
    raise typer.Exit(0 if result.ok else 1)


class GraphFormat(str, Enum):
    tree = "tree"
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    hierarchy: HierarchyArgument,
    output_format: Annotated[
        GraphFormat, typer.Option("--format", help="tree (terminal), mermaid or dot.")
    ] = GraphFormat.tree,
) -> None:
    """Show the hierarchy: devices by layer, registries and modes, synced repositories,
    API proxy ports.

    Examples:

        acr-edge graph examples/factory-isa95.yaml

        acr-edge graph examples/factory-isa95.yaml --format mermaid > hierarchy.mmd
    """
    from acr_edge_cli import graph as graphs
    from acr_edge_cli import reporting
    from acr_edge_cli.loading import load_hierarchy

    with _reported_errors():
        loaded = load_hierarchy(hierarchy, environ=os.environ)
    nodes = graphs.graph_nodes(loaded.plan)
    cloud = loaded.hierarchy.cloud_registry.login_server
    if output_format is GraphFormat.mermaid:
        typer.echo(graphs.mermaid(nodes, cloud=cloud), nl=False)
    elif output_format is GraphFormat.dot:
        typer.echo(graphs.dot(nodes, cloud=cloud), nl=False)
    else:
        reporting.print_graph_tree(reporting.make_console(), nodes, cloud)


class InitExample(str, Enum):
    two_layer = "two-layer"
    isa95 = "isa95"


@app.command()
def init(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write hierarchy.yaml.")
    ] = Path(),
    example: Annotated[
        InitExample,
        typer.Option(
            "--example",
            help="two-layer: the nested connected-registry tutorial; isa95: a three-layer plant.",
        ),
    ] = InitExample.two_layer,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented example hierarchy that generates as it is.

    Examples:

        acr-edge init my-plant --example isa95

        acr-edge generate my-plant/hierarchy.yaml -o my-plant/out
    """
    from acr_edge_cli import resources

    source = {
        InitExample.two_layer: "two-layer.yaml",
        InitExample.isa95: "factory-isa95.yaml",
    }[example]
    target = folder / "hierarchy.yaml"
    if target.exists() and not force:
        typer.echo(f"error: {target} exists; pass --force to replace it", err=True)
        raise typer.Exit(EXIT_INPUT)
    folder.mkdir(parents=True, exist_ok=True)
    text = (resources.examples_dir() / source).read_text(encoding="utf-8")
    header = "# yaml-language-server: $schema=hierarchy.schema.json\n"
    target.write_text(header + text, encoding="utf-8")
    (folder / "hierarchy.schema.json").write_text(
        (resources.schemas_dir() / "hierarchy.schema.json").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    typer.echo(f"wrote {target} and {folder / 'hierarchy.schema.json'}")


class RulesFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command("rules")
def list_rules(
    name: Annotated[str | None, typer.Argument(metavar="RULE", help="Explain one rule.")] = None,
    output_format: Annotated[
        RulesFormat, typer.Option("--format", help="text, json, or markdown (docs/rules.md).")
    ] = RulesFormat.text,
) -> None:
    """List the rule catalog, or explain one rule and its fix.

    Example:

        acr-edge rules host-port-conflict
    """
    import json

    from acr_edge_cli import reporting, rules

    with _reported_errors():
        selected = [rules.get(name)] if name else list(rules.ALL_RULES)
    if output_format is RulesFormat.markdown:
        typer.echo(reporting.rules_markdown(selected), nl=False)
    elif output_format is RulesFormat.json:
        records = [
            {
                "name": r.name,
                "severity": r.severity.label,
                "scopes": list(r.scopes),
                "summary": r.summary,
                "explanation": r.explanation,
            }
            for r in selected
        ]
        typer.echo(json.dumps({"version": 1, "rules": records}, indent=2, ensure_ascii=False))
    elif name:
        reporting.print_rule_explanations(reporting.make_console(), selected)
    else:
        reporting.print_rules(reporting.make_console(), selected)


@app.command()
def schema(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="hierarchy, deployment-manifest, edgeagent-1.1...")
    ],
) -> None:
    """Print a bundled JSON Schema (draft 2020-12).

    Example:

        acr-edge schema hierarchy > hierarchy.schema.json
    """
    from acr_edge_cli import resources

    names = resources.schema_names()
    if name not in names:
        typer.echo(f"error: no schema {name!r}; choose one of: {', '.join(names)}", err=True)
        raise typer.Exit(EXIT_INPUT)
    typer.echo(
        (resources.schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"), nl=False
    )


def _internal_error(error: BaseException) -> NoReturn:
    # One line, never the traceback (which may hold values from the input) unless asked.
    typer.echo(
        f"error: internal error ({type(error).__name__}); run with --debug for the traceback",
        err=True,
    )
    sys.exit(EXIT_INPUT)


def _terminated(signum: int, frame: object) -> None:
    # SIGTERM (a cancelled CI job) unwinds like Ctrl-C does: workers are stopped and a
    # half-written output folder is removed on the way out.
    raise SystemExit(128 + signum)


def _take_debug(args: list[str]) -> list[str]:
    """`--debug` is accepted anywhere before `--`, not only before the command."""
    end = args.index("--") if "--" in args else len(args)
    if "--debug" in args[:end]:
        _state["debug"] = True
        os.environ["ACR_EDGE_DEBUG"] = "1"  # what the root option reads, for the whole run
        return [a for a in args[:end] if a != "--debug"] + args[end:]
    return args


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    args = _take_debug(sys.argv[1:])
    try:
        app(args=args)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        _exit_now(130)
    except SystemExit as done:
        if isinstance(done.code, str):
            typer.echo(done.code, err=True)
        _exit_now(1 if isinstance(done.code, str) else (done.code or 0))
    except Exception as error:
        if _state["debug"]:
            raise
        _internal_error(error)


def _exit_now(code: int) -> NoReturn:
    """Exit without tearing the interpreter down object by object: for a 10,000-device
    hierarchy that alone took 0.1 s, and there is nothing left to clean up (every file
    is closed and every worker has ended by now; output is flushed here)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # e.g. a reader that went away (`| head`)
            stream.flush()
    os._exit(code)
