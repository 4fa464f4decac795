"""The position-aware loader: data, ranges, and every way a file can fail to load."""

from __future__ import annotations

from parlint.linter.diagnostics import Range
from parlint.linter.loader import MAX_NESTING, load_json, load_text, load_yaml

VLLM_CONFIG = """\
# vllm serve --config serve.yaml
model: meta-llama/Llama-3.1-70B-Instruct
tensor-parallel-size: 8   # one node
eplb-config:
  num_redundant_experts: 32
"""


def test_yaml_values_keys_and_nested_ranges() -> None:
    loaded = load_yaml("serve.yaml", VLLM_CONFIG)
    assert loaded.ok
    document = loaded.documents[0]
    assert document.data["tensor-parallel-size"] == 8
    source = document.source_map
    assert source.value("/tensor-parallel-size") == Range.of(3, 23, 3, 24)
    assert source.key("/tensor-parallel-size") == Range.of(3, 1, 3, 21)
    assert source.value("/model") == Range.of(2, 8, 2, 41)
    assert source.value("/eplb-config/num_redundant_experts") == Range.of(5, 26, 5, 28)
    assert source.member("/tensor-parallel-size") == Range.of(3, 1, 3, 24)


def test_missing_pointer_falls_back_to_nearest_ancestor() -> None:
    source = load_yaml("a.yaml", VLLM_CONFIG).documents[0].source_map
    assert source.value("/eplb-config/absent") == source.value("/eplb-config")


def test_columns_count_characters_not_bytes() -> None:
    loaded = load_yaml("a.yaml", "note: \"héllo wörld\"\ntp: 4\nx: \"é\" \ny: 2\n")
    assert loaded.documents[0].source_map.value("/y") == Range.of(4, 4, 4, 5)
    one_line = load_yaml("a.yaml", "k: \"ééé\"\nv: 1\n").documents[0].source_map
    assert one_line.value("/k") == Range.of(1, 4, 1, 9)


def test_crlf_line_endings_keep_positions() -> None:
    source = load_yaml("a.yaml", "a: 1\r\nb: 2\r\n").documents[0].source_map
    assert source.value("/b") == Range.of(2, 4, 2, 5)


def test_multi_document_yaml() -> None:
    loaded = load_yaml("k.yaml", "kind: A\n---\nkind: B\nspec: {x: 1}\n")
    assert [document.data["kind"] for document in loaded.documents] == ["A", "B"]
    assert loaded.documents[1].source_map.value("/spec/x") == Range.of(4, 11, 4, 12)


def test_duplicate_key_is_a_problem_at_the_second_key() -> None:
    loaded = load_yaml("a.yaml", "tensor-parallel-size: 8\ntensor-parallel-size: 4\n")
    assert [problem.message for problem in loaded.problems] == [
        "duplicate key 'tensor-parallel-size' (first defined on line 1)"
    ]
    assert loaded.problems[0].range == Range.of(2, 1, 2, 21)


def test_syntax_error_position() -> None:
    loaded = load_yaml("a.yaml", "a: [1, 2\nb: 3\n")
    assert len(loaded.problems) == 1
    assert loaded.problems[0].message.startswith("YAML syntax error")
    assert loaded.problems[0].range.start.line == 2


def test_merge_conflict_markers() -> None:
    text = "a: 1\n<<<<<<< HEAD\ntp: 8\n=======\ntp: 4\n>>>>>>> feature\n"
    loaded = load_yaml("a.yaml", text)
    assert [problem.range.start.line for problem in loaded.problems] == [2, 4, 6]
    for newline in ("\r\n", "\r"):  # Windows and classic-Mac line endings
        loaded = load_yaml("a.yaml", text.replace("\n", newline))
        assert [problem.range.start.line for problem in loaded.problems] == [2, 4, 6], repr(newline)
    assert load_yaml("a.yaml", "a: '<<<<<<< not at a line start'\n").ok


def test_merge_keys_map_to_their_anchor() -> None:
    text = "base: &b\n  tp: 8\nserve:\n  <<: *b\n  pp: 2\n"
    loaded = load_yaml("a.yaml", text)
    assert loaded.documents[0].data["serve"] == {"tp": 8, "pp": 2}
    assert loaded.documents[0].source_map.value("/serve/tp") == Range.of(2, 7, 2, 8)


def test_alias_bomb_is_cheap() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    loaded = load_yaml("bomb.yaml", "\n".join(lines) + "\n")
    assert loaded.ok
    # Positions are resolved on demand: the deepest alias resolves to its anchor's node, not a copy.
    assert loaded.documents[0].source_map.value("/a9/8/8/8") == loaded.documents[0].source_map.value("/a6")


def test_deep_nesting_is_refused_before_libyaml() -> None:
    depth = MAX_NESTING * 20
    loaded = load_yaml("deep.yaml", "[" * depth + "]" * depth)
    assert loaded.problems and "nesting deeper" in loaded.problems[0].message


def test_unsafe_tags_are_refused() -> None:
    loaded = load_yaml("evil.yaml", "x: !!python/object/apply:os.system ['echo pwned']\n")
    assert loaded.problems and "YAML" in loaded.problems[0].message


def test_json_data_and_positions() -> None:
    text = '{\n  "tensor_parallel": {"tp_size": 3},\n  "dtype": "fp16"\n}\n'
    loaded = load_json("ds.json", text)
    assert loaded.ok
    assert loaded.documents[0].data["tensor_parallel"]["tp_size"] == 3
    assert loaded.documents[0].source_map.value("/tensor_parallel/tp_size") == Range.of(2, 34, 2, 35)


def test_json_syntax_error_and_duplicate() -> None:
    broken = load_json("a.json", '{"a": 1,}')
    assert broken.problems[0].message.startswith("JSON syntax error")
    duplicate = load_json("a.json", '{"tp": 1,\n "tp": 2}')
    assert duplicate.problems[0].message.startswith("duplicate key 'tp'")
    assert duplicate.problems[0].range.start.line == 2


def test_load_text_dispatches_on_suffix() -> None:
    assert load_text("x.JSON", "[1]").documents[0].data == [1]
    assert load_text("x.yml", "- 1").documents[0].data == [1]


def test_deep_block_nesting_is_refused_before_libyaml() -> None:
    """About 100,000 nested ``- `` levels crash PyYAML 6.0.3's composer (a segfault, no exception)."""
    loaded = load_yaml("deep.yaml", "tensor-parallel-size:\n" + "- " * 100_000 + "8\n")
    assert loaded.problems and "nesting deeper" in loaded.problems[0].message
    assert loaded.problems[0].range.start.line == 2


def test_ordinary_indentation_and_dash_lines_are_not_deep() -> None:
    text = "a:\n" + "  " * 100 + "b: 1\n" + "# " + "-" * 9000 + "\nc: " + "-" * 9000 + "\n"
    assert load_yaml("ok.yaml", text).ok
