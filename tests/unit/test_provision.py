"""What provision manages, decided from the hierarchy alone (no I/O)."""

from __future__ import annotations

from acr_edge_cli.arm import RegistryId
from acr_edge_cli.loading import load_hierarchy
from acr_edge_cli.provision import Resource, desired_state, gateway_actions, repository_actions
from tests.conftest import EXAMPLES

REGISTRY = RegistryId("sub", "rg", "contosoregistry")


def _desired(example: str) -> dict[tuple[str, str], Resource]:
    loaded = load_hierarchy(EXAMPLES / example, environ={})
    return {r.key: r for r in desired_state(loaded.plan, REGISTRY).resources}


def test_actions_are_the_ones_az_grants() -> None:
    assert repository_actions(("Acr/Connected-Registry",), "ReadOnly") == {
        "repositories/acr/connected-registry/content/read",
        "repositories/acr/connected-registry/metadata/read",
    }
    assert repository_actions(("hub",), "Registry") == {  # the deprecated ReadWrite alias
        f"repositories/hub/{a}"
        for a in ("content/read", "content/write", "content/delete", "metadata/read",
                  "metadata/write")
    }  # fmt: skip
    assert gateway_actions("PlantDmz") == {
        "gateway/plantdmz/config/read",
        "gateway/plantdmz/config/write",
        "gateway/plantdmz/message/read",
        "gateway/plantdmz/message/write",
    }


def test_every_ancestor_grants_its_descendants_and_client_tokens_read_only() -> None:
    desired = _desired("factory-isa95.yaml")
    dmz = set(desired[("scope-map", "plantdmz")].spec["actions"])
    ops = set(desired[("scope-map", "plantsiteops")].spec["actions"])
    assert gateway_actions("plantsiteops") <= dmz
    assert ops - dmz == set()  # the top holds everything below it
    assert gateway_actions("plantdmz").isdisjoint(ops)  # nothing flows down
    client_map = desired[("scope-map", "line-controllers-scope-map")]
    assert {
        a.rsplit("/", 2)[-2] + "/" + a.rsplit("/", 1)[-1] for a in client_map.spec["actions"]
    } == {
        "content/read",
        "metadata/read",
    }
    registry = desired[("connected-registry", "plantsiteops")]
    assert registry.parent == "plantdmz"
    assert registry.spec["client_tokens"] == ["line-controllers"]
    assert ("token", "line-controllers") in registry.needs
    assert ("connected-registry", "plantdmz") in registry.needs


def test_order_is_parents_first_and_identities_follow_the_tree() -> None:
    loaded = load_hierarchy(EXAMPLES / "factory-isa95.yaml", environ={})
    order = [r.key for r in desired_state(loaded.plan, REGISTRY).resources]
    assert order[0] == ("registry", "contosoregistry")
    assert order.index(("connected-registry", "plantdmz")) < order.index(
        ("connected-registry", "plantsiteops")
    )
    identities = [name for kind, name in order if kind == "device-identity"]
    assert identities == [d.id for d in loaded.plan.devices]
    password = next(
        r for r in desired_state(loaded.plan, REGISTRY).resources
        if r.kind == "password" and r.parent == "plantdmz"
    )  # fmt: skip
    assert password.spec == {"secret": "PLANT_DMZ_SYNC_TOKEN_PASSWORD"}


def test_device_secret_names_and_their_clashes() -> None:
    from acr_edge_cli.secrets import device_secret_clashes, device_secret_name

    assert device_secret_name("top-layer") == "TOP_LAYER_CONNECTION_STRING"
    assert device_secret_name("7th.floor") == "DEVICE_7TH_FLOOR_CONNECTION_STRING"
    assert device_secret_clashes(["a-b", "a.b", "A_B", "c"]) == {
        "A_B_CONNECTION_STRING": ["a-b", "a.b", "A_B"]
    }
