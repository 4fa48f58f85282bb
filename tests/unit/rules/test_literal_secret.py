from pathlib import Path

from tests.unit.rules.helpers import (
    AGENT,
    agent,
    device,
    hierarchy,
    hierarchy_findings,
    manifest,
    manifest_findings,
)


def test_fires_on_literal_passwords_in_a_manifest() -> None:
    content = manifest()
    desired = agent(content)
    desired["runtime"]["settings"]["registryCredentials"]["cloudregistry"]["password"] = "hunter2"
    findings = manifest_findings(content, "literal-secret")
    assert [f.pointer for f in findings] == [
        f"{AGENT}/runtime/settings/registryCredentials/cloudregistry/password"
    ]
    assert "hunter2" not in findings[0].message


def test_fires_on_a_literal_in_the_hierarchy_at_its_line(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["connected_registry"]["sync_token"]["password"] = "hunter2"
    (finding,) = hierarchy_findings(data, "literal-secret", tmp_path)
    assert finding.pointer == "/devices/0/connected_registry/sync_token/password"
    assert finding.file.endswith("hierarchy.yaml")
    assert finding.line is not None


def test_near_miss_references() -> None:
    assert manifest_findings(manifest(), "literal-secret") == []


def test_fires_on_a_module_env_secret_in_the_hierarchy(tmp_path: Path) -> None:
    """generate reports it too: it runs the hierarchy rules before writing."""
    data = hierarchy()
    device(data, 0)["modules"] = {
        "historian": {
            "image": "contoso/historian:1.2",
            "env": {"DB_PASSWORD": "hunter2", "API_TOKEN": "tok-123", "SEND_INTERVAL": "5"},
            "create_options": {"Env": ["STORAGE_ACCOUNT_KEY=abc/def==", "MODE=fast"]},
        }
    }
    findings = hierarchy_findings(data, "literal-secret", tmp_path)
    assert [(f.pointer, f.message) for f in findings] == [
        ("/devices/0/modules/historian/env/DB_PASSWORD", "historian: DB_PASSWORD is a literal secret"),
        ("/devices/0/modules/historian/env/API_TOKEN", "historian: API_TOKEN is a literal secret"),
        ("/devices/0/modules/historian/create_options/Env/0",
         "historian: STORAGE_ACCOUNT_KEY in createOptions Env is a literal secret"),
    ]  # fmt: skip


def test_fires_on_a_create_options_env_secret_in_a_manifest() -> None:
    content = manifest()
    modules = agent(content)["modules"]
    name = next(iter(modules))
    modules[name]["settings"]["createOptions"] = '{"Env": ["DB_PASSWORD=hunter2"]}'
    findings = manifest_findings(content, "literal-secret")
    assert [f.message for f in findings] == [
        f"{name}: DB_PASSWORD in createOptions Env is a literal secret"
    ]


def test_near_miss_placeholders_are_not_secrets(tmp_path: Path) -> None:
    data = hierarchy()
    device(data, 0)["modules"] = {
        "historian": {
            "image": "contoso/historian:1.2",
            "env": {"DB_PASSWORD": "<password>", "API_TOKEN": "$API_TOKEN", "MONKEY": "x",
                    "ACR_PASSWORD": "%ACR_PASSWORD%", "TOKENIZER": "bert"},
            "create_options": {"Env": ["STORAGE_KEY=<CR.Password>", "NAME=value"]},
        }
    }  # fmt: skip
    assert hierarchy_findings(data, "literal-secret", tmp_path) == []
