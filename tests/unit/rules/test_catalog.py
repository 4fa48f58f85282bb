"""Every rule of the catalog has its module, its test file and an explanation with a fix."""

from pathlib import Path

from acr_edge_cli.rules import ALL_RULES

HERE = Path(__file__).parent


def test_every_rule_has_a_test_file_and_a_fix() -> None:
    for rule in ALL_RULES:
        assert (HERE / f"test_{rule.name.replace('-', '_')}.py").is_file(), rule.name
        assert "Fix:" in rule.explanation, rule.name
        assert rule.summary


def test_catalog_names_of_the_spec_are_all_there() -> None:
    spec = {
        "schema",
        "unknown-schema-version",
        "create-options-invalid",
        "create-options-chunking",
        "twin-value-too-large",
        "desired-properties-too-large",
        "too-many-modules",
        "host-port-conflict",
        "upstream-missing-port",
        "upstream-in-env",
        "image-reference-invalid",
        "image-tag-not-pinned",
        "registry-credentials-mismatch",
        "route-unknown-module",
        "edgehub-not-always-running",
        "restart-policy-unimplemented",
        "startup-order-needs-schema-1-1",
        "proxy-port-mismatch",
        "proxy-route-target-unknown",
        "proxy-registry-route-missing",
        "proxy-obsolete-env",
        "proxy-config-invalid",
        "connection-string-invalid",
        "connected-registry-data-not-persisted",
        "literal-secret",
        "connected-registry-on-iot-edge-retired",
        "device-id-duplicate",
        "hierarchy-too-deep",
        "parent-without-proxy",
        "proxy-port-inconsistent",
        "proxy-module-name-inconsistent",
        "registry-name-invalid",
        "registry-name-duplicate",
        "registry-mode-incompatible",
        "registry-mode-alias",
        "repositories-not-subset",
        "image-not-synced",
        "sync-schedule-invalid",
        "sync-window-invalid",
        "message-ttl-invalid",
        "client-tokens-too-many",
        "notification-pattern-invalid",
    }
    assert spec <= {rule.name for rule in ALL_RULES}
