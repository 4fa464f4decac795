"""Any text, of any launch file kind, extracts without an exception and with positions inside the file."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from parlint.linter.diagnostics import Range
from parlint.linter.launch import extract_documents, extract_text
from parlint.linter.loader import load_text

_PIECES = st.sampled_from([
    "vllm serve m ", "python3 -m sglang.launch_server ", "trtllm-serve m ", "--tensor-parallel-size ", "-tp ",
    "--tp ", "8", "$TP", "${TP:-2}", "$(hostname)", "`date`", "\\\n", "\\ # c\n", "\\  \n", "\n", " ", "'", '"',
    "bash -c '", "export TP=4\n", "CUDA_VISIBLE_DEVICES=0,1 ", "```bash\n", "```\n", "$ ", "#SBATCH --nodes=2\n",
    "#SBATCH --gres=gpu:4\n", "CMD [\"--model\", \"m\"]\n", "FROM vllm/vllm-openai\n", "ENV A=1\n", "LLM(", ")",
    "tensor_parallel_size=2", "mpirun -n 4 ", "docker run --gpus 2 vllm/vllm-openai ", "\r\n", "\t", "é", "|", ";",
])
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _inside(lines: list[str], where: Range) -> bool:
    return all(1 <= position.line <= len(lines) and 1 <= position.column <= len(lines[position.line - 1]) + 1
               for position in (where.start, where.end))


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=5), max_size=40), st.sampled_from(["shell", "markdown", "dockerfile",
                                                                              "python"]))
def test_text_kinds_never_crash_and_stay_in_the_file(pieces: list[str], kind: str) -> None:
    text = "".join(pieces)
    lines = _LINE_BREAK.split(text)
    launch = extract_text("x", text, kind)
    for plan in launch.plans:
        for sourced in [*plan.settings.values(), *(item.count for item in plan.supply)]:
            assert _inside(lines, sourced.range), (text, sourced)
    for broken in launch.broken:
        assert _inside(lines, broken.range), (text, broken)


_YAML_PIECES = st.sampled_from([
    "apiVersion: v1\n", "kind: Pod\n", "spec:\n", "  containers:\n", "    - name: c\n",
    "      image: vllm/vllm-openai\n",
    "      args: [--model, m, --tensor-parallel-size, '4']\n", "      command: [sh, -c, 'vllm serve m -tp 2']\n",
    "      resources: {limits: {nvidia.com/gpu: 2}}\n", "services:\n", "  s:\n", "    command: vllm serve m\n",
    "resources:\n", "  accelerators: {H100: 8}\n", "run: |\n", "  vllm serve m -tp $SKYPILOT_NUM_GPUS_PER_NODE\n",
    "servingEngineSpec:\n", "  modelSpec:\n", "    - modelURL: m\n", "      requestGPU: 2\n", "---\n", "  ", "\n",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=20))
def test_yaml_manifests_never_crash(pieces: list[str]) -> None:
    loaded = load_text("x.yaml", "".join(pieces))
    if loaded.ok:
        extract_documents(loaded)
