from tests.unit.rules.helpers import configuration, configuration_findings


def test_fires_on_reserved_and_long_labels() -> None:
    document = configuration()
    document["labels"] = {"$owner": "ops", "site": "munich plant", "x": "y" * 129}
    findings = configuration_findings(document, "labels-invalid")
    assert [f.message for f in findings] == [
        "label key '$owner' breaks the label rules",
        "label 'site': value 'munich plant' breaks the label rules",
        f"label 'x': value {'y' * 129!r} breaks the label rules",
    ]


def test_near_miss_allowed_punctuation() -> None:
    document = configuration()
    document["labels"] = {"purdue:level": "L3", "owner@contoso": "ops;team(1)"}
    assert configuration_findings(document, "labels-invalid") == []
