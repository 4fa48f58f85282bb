"""The rule catalog: an explicit registry of one module per rule (docs/rules.md)."""

from __future__ import annotations

import difflib

from acr_edge_cli.errors import UsageError
from acr_edge_cli.rules import (
    client_tokens_too_many,
    connected_registry_data_not_persisted,
    connected_registry_on_iot_edge_retired,
    connection_string_invalid,
    create_options_chunking,
    create_options_invalid,
    deployment_count_exceeded,
    deployment_id_invalid,
    desired_properties_too_large,
    device_id_duplicate,
    edgehub_not_always_running,
    hierarchy_too_deep,
    host_port_conflict,
    image_host_below_top,
    image_not_synced,
    image_reference_invalid,
    image_tag_not_pinned,
    labels_invalid,
    layered_content_invalid,
    literal_secret,
    message_ttl_invalid,
    nginx,
    notification_pattern_invalid,
    parent_without_proxy,
    proxy_config_invalid,
    proxy_module_name_inconsistent,
    proxy_obsolete_env,
    proxy_port_inconsistent,
    proxy_port_mismatch,
    proxy_registry_route_missing,
    proxy_route_target_unknown,
    registry_credentials_mismatch,
    registry_mode_alias,
    registry_mode_incompatible,
    registry_name_duplicate,
    registry_name_invalid,
    repositories_not_subset,
    restart_policy_unimplemented,
    route_unknown_module,
    schema,
    startup_order_needs_schema_1_1,
    sync_schedule_invalid,
    sync_window_invalid,
    target_condition_invalid,
    too_many_modules,
    twin_value_too_large,
    unknown_schema_version,
    upstream_in_env,
    upstream_missing_port,
)
from acr_edge_cli.rules.base import Rule, rule_modules_of

#: Every rule, in catalog order: manifest, hierarchy, deployment-configuration rules, then
#: those that run programs (validate --nginx).
ALL_RULES: tuple[Rule, ...] = rule_modules_of(
    schema,
    unknown_schema_version,
    create_options_invalid,
    create_options_chunking,
    twin_value_too_large,
    desired_properties_too_large,
    too_many_modules,
    host_port_conflict,
    upstream_missing_port,
    upstream_in_env,
    image_reference_invalid,
    image_tag_not_pinned,
    registry_credentials_mismatch,
    route_unknown_module,
    edgehub_not_always_running,
    restart_policy_unimplemented,
    startup_order_needs_schema_1_1,
    proxy_port_mismatch,
    proxy_route_target_unknown,
    proxy_registry_route_missing,
    proxy_obsolete_env,
    proxy_config_invalid,
    connection_string_invalid,
    connected_registry_data_not_persisted,
    literal_secret,
    connected_registry_on_iot_edge_retired,
    device_id_duplicate,
    hierarchy_too_deep,
    parent_without_proxy,
    proxy_port_inconsistent,
    proxy_module_name_inconsistent,
    registry_name_invalid,
    registry_name_duplicate,
    registry_mode_incompatible,
    registry_mode_alias,
    repositories_not_subset,
    image_not_synced,
    image_host_below_top,
    sync_schedule_invalid,
    sync_window_invalid,
    message_ttl_invalid,
    client_tokens_too_many,
    notification_pattern_invalid,
    deployment_id_invalid,
    target_condition_invalid,
    deployment_count_exceeded,
    layered_content_invalid,
    labels_invalid,
    nginx,
)
BY_NAME = {rule.name: rule for rule in ALL_RULES}


def get(name: str) -> Rule:
    """A rule by name; an unknown name is a usage error that suggests the closest one."""
    try:
        return BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, BY_NAME, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; `acr-edge rules` lists them"
        raise UsageError(f"unknown rule {name!r}{hint}") from None
