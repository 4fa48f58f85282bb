import pytest

from tests.unit.rules.helpers import configuration, configuration_findings


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("Contoso-Layer-0", "deployment id 'Contoso-Layer-0' is not lowercase"),
        ("contoso layer/0", "deployment id 'contoso layer/0' holds ' ' '/'"),
        ("x" * 129, f"deployment id {'x' * 129!r} is 129 characters (at most 128)"),
    ],
)
def test_fires(identifier: str, message: str) -> None:
    document = configuration()
    document["id"] = identifier
    (finding,) = configuration_findings(document, "deployment-id-invalid")
    assert (finding.pointer, finding.message) == ("/id", message)


def test_near_miss() -> None:
    document = configuration()
    document["id"] = "x" * 128
    assert configuration_findings(document, "deployment-id-invalid") == []
