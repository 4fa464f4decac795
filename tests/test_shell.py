"""Shell word splitting with positions: quoting, continuations, variables, broken continuations."""

from __future__ import annotations

from parlint.linter.diagnostics import Position, Range
from parlint.linter.shell import LineMap, split

SCRIPT = """\
#!/bin/bash
MODEL=${MODEL:-meta-llama/Llama-3.1-70B-Instruct}
TP=8
vllm serve "$MODEL" \\
  --tensor-parallel-size $TP \\
  --max-model-len=32768 \\  # long context
  --pipeline-parallel-size 2 \\
  --port $PORT
echo done && echo 'a b'
"""


def _words(script_text: str) -> list[list[tuple[str, int, int]]]:
    return [
        [(word.text, word.range.start.line, word.range.start.column) for word in command.words]
        for command in split(script_text).commands
    ]


def test_words_positions_variables_and_separators() -> None:
    commands = _words(SCRIPT)
    assert commands[0] == [
        ("vllm", 4, 1), ("serve", 4, 6), ("meta-llama/Llama-3.1-70B-Instruct", 4, 12),
        ("--tensor-parallel-size", 5, 3), ("8", 5, 26), ("--max-model-len=32768", 6, 3),
    ]
    assert commands[2:] == [[("echo", 9, 1), ("done", 9, 6)], [("echo", 9, 14), ("a b", 9, 19)]]


def test_broken_continuation_names_the_dropped_words() -> None:
    script = split(SCRIPT)
    assert len(script.broken) == 1
    broken = script.broken[0]
    assert broken.range == Range(Position(6, 25), Position(6, 26))
    assert broken.reason == "a comment"
    assert [word.text for word in broken.dropped] == ["--pipeline-parallel-size", "2", "--port", "$PORT"]


def test_trailing_whitespace_after_backslash_breaks_too() -> None:
    script = split("vllm serve m \\   \n  --tensor-parallel-size 8\n")
    assert [(item.reason, [word.text for word in item.dropped]) for item in script.broken] == [
        ("trailing whitespace", ["--tensor-parallel-size", "8"])
    ]
    assert [word.text for word in script.commands[0].words] == ["vllm", "serve", "m"]


def test_unknown_variables_are_unresolved() -> None:
    words = split("vllm serve m --tensor-parallel-size ${TP} --pp $PP_SIZE\n").commands[0].words
    assert [(word.text, word.unresolved) for word in words[4:]] == [
        ("${TP}", True), ("--pp", False), ("$PP_SIZE", True)
    ]


def test_environment_and_defaults_resolve() -> None:
    words = split('vllm serve m -tp "${TP:-4}" -pp $PP\n', env={"PP": "2"}).commands[0].words
    assert [word.text for word in words] == ["vllm", "serve", "m", "-tp", "4", "-pp", "2"]
    assert not any(word.unresolved for word in words)


def test_line_map_places_an_embedded_fragment() -> None:
    fragment = "vllm serve m \\\n  --tensor-parallel-size 8\n"
    words = split(fragment, lines=LineMap(((12, 9), (13, 9)))).commands[0].words
    assert (words[-1].text, words[-1].range.start) == ("8", Position(13, 34))


def test_folded_text_treats_newlines_as_spaces() -> None:
    commands = split("vllm serve m\n--tensor-parallel-size 8\n", newline_is_space=True).commands
    assert len(commands) == 1 and [word.text for word in commands[0].words][-1] == "8"


def test_escaped_quotes_and_single_quotes() -> None:
    words = split("""python -m sglang.launch_server --json-model-override-args '{"a": 1}' --x "say \\"hi\\"" \n""")
    assert [word.text for word in words.commands[0].words][-3:] == ['{"a": 1}', "--x", 'say "hi"']


def test_redirections_are_no_words_of_the_command() -> None:
    text = ('vllm serve --model m -tp 6 > x.log 2>&1 &\n'
            'vllm serve m -tp 2 >"$LOG" 2>>err.log </dev/null | tee -a y\n'
            'vllm serve m -tp 4 &>log\n'
            'vllm serve <model> --tensor-parallel-size <tp>\n')  # a run-book's placeholders stay words
    assert [[word.text for word in command.words] for command in split(text).commands] == [
        ["vllm", "serve", "--model", "m", "-tp", "6"], ["vllm", "serve", "m", "-tp", "2"], ["tee", "-a", "y"],
        ["vllm", "serve", "m", "-tp", "4"], ["vllm", "serve", "<model>", "--tensor-parallel-size", "<tp>"]]


def test_here_documents_are_file_contents_not_commands() -> None:
    text = ("cat > ./serve.yaml <<'EOF'\ntensor-parallel-size: 4\nEOF\n"
            "cat <<EOF > b.yaml\nx: $X\nEOF\n"
            "tee c.yaml <<-END\n\tpp: 2\n\tEND\n"
            "cat <<EOF\nvllm serve m -tp 3\nEOF\n"  # printed, not run, and written to no file
            "vllm serve m -tp 2\n")
    script = split(text)
    assert [[word.text for word in command.words] for command in script.commands] == [
        ["cat"], ["cat"], ["tee", "c.yaml"], ["cat"], ["vllm", "serve", "m", "-tp", "2"]]
    assert {name: (doc.text, doc.position, doc.literal) for name, doc in script.files.items()} == {
        "./serve.yaml": ("tensor-parallel-size: 4\n", Position(2, 1), True),
        "b.yaml": ("x: $X\n", Position(5, 1), False),
        "c.yaml": ("pp: 2\n", Position(8, 1), False),
    }
