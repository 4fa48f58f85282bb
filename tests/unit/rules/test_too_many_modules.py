import copy

from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def _with_modules(count: int) -> dict[str, object]:
    content = manifest()
    modules = agent(content)["modules"]
    template = modules["IoTEdgeAPIProxy"]
    for index in range(count - len(modules)):
        extra = copy.deepcopy(template)
        extra["env"] = {}
        extra["settings"]["createOptions"] = "{}"
        modules[f"worker{index}"] = extra
    return content


def test_fires_at_51_modules() -> None:
    (finding,) = manifest_findings(_with_modules(51), "too-many-modules")
    assert finding.pointer == f"{AGENT}/modules"
    assert finding.message == "51 modules; a deployment holds at most 50"


def test_near_miss_50_modules() -> None:
    assert manifest_findings(_with_modules(50), "too-many-modules") == []
