from tests.unit.rules.helpers import AGENT, agent, manifest, manifest_findings


def test_fires_on_a_gap_between_chunks() -> None:
    content = manifest()
    settings = agent(content)["modules"]["connected-registry"]["settings"]
    settings["createOptions"] = '{"HostConfig":'
    settings["createOptions02"] = "{}}"
    (finding,) = manifest_findings(content, "create-options-chunking")
    assert finding.pointer == f"{AGENT}/modules/connected-registry/settings/createOptions02"
    assert "found createOptions02 where createOptions01 was expected" in finding.message


def test_fires_on_a_chunk_over_512_characters() -> None:
    content = manifest()
    settings = agent(content)["modules"]["connected-registry"]["settings"]
    settings["createOptions"] = '{"Cmd":["' + "x" * 600 + '"]}'
    (finding,) = manifest_findings(content, "create-options-chunking")
    assert finding.message == (
        "connected-registry: createOptions is 612 characters; chunks hold at most 512"
    )


def test_fires_on_nine_chunks() -> None:
    content = manifest()
    settings = agent(content)["modules"]["connected-registry"]["settings"]
    settings["createOptions"] = "{"
    for index in range(1, 9):
        settings[f"createOptions{index:02d}"] = " " if index < 8 else "}"
    findings = manifest_findings(content, "create-options-chunking")
    assert [f.message for f in findings] == [
        "connected-registry: createOptions has 9 chunks; at most 8 (4096 characters)"
    ]


def test_near_miss_eight_consecutive_chunks_of_512() -> None:
    content = manifest()
    settings = agent(content)["modules"]["connected-registry"]["settings"]
    settings["createOptions"] = "{" + " " * 511
    for index in range(1, 8):
        settings[f"createOptions{index:02d}"] = " " * 511 + ("}" if index == 7 else " ")
    assert manifest_findings(content, "create-options-chunking") == []
