"""Fixes in launch files: shell scripts, Markdown run-books, Dockerfiles, Kubernetes manifests, compose files,
production-stack Helm values and SkyPilot tasks. Each test writes a file, runs ``--unsafe-fixes`` (or
``--fix``) and compares the whole result: only the intended tokens change, quotes, indentation, list style
and comments stay."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from parlint.linter.cli import main
from parlint.linter.config import Settings
from parlint.linter.diagnostics import Range
from parlint.linter.fixes import apply_edits, insert_flags_after, replace_token, unified_diff
from parlint.linter.plan import Sourced
from parlint.linter.runner import RunOptions, lint_text


def _fixed(tmp_path: Path, name: str, text: str, *, unsafe: bool = True) -> str:
    target = tmp_path / name
    target.write_text(text, "utf-8")
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        main(["check", "--unsafe-fixes" if unsafe else "--fix", "--no-cache", str(target)])
    return target.read_text("utf-8")


def _codes(tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / name
    return [item.code for item in lint_text(str(path), path.read_text("utf-8"), Settings(), RunOptions()).diagnostics]


def _at(line: int, column: int, end_column: int) -> Sourced[int]:
    return Sourced(8, "f", Range.of(line, column, line, end_column), "--tp")


# --------------------------------------------------------------------------------------------------
# The shared helpers


@pytest.mark.parametrize(("text", "column", "end", "expected"), [
    ("vllm serve m --tp 6 --x\n", 19, 20, "vllm serve m --tp 8 --x\n"),
    ("vllm serve m --tp \"6\" --x\n", 19, 22, "vllm serve m --tp \"8\" --x\n"),  # a shell word keeps its quotes
    ("vllm serve m --tp='6'\n", 19, 22, "vllm serve m --tp='8'\n"),
    ("args: [\"--tp\", \"6\"]\n", 17, 18, "args: [\"--tp\", \"8\"]\n"),  # a YAML item's range has no quotes
    ("tp: '6'  # six\n", 5, 8, "tp: '8'  # six\n"),
])
def test_replace_token_keeps_the_quotes(text: str, column: int, end: int, expected: str) -> None:
    edit = replace_token(text, _at(1, column, end), "8")
    assert edit is not None and apply_edits(text, [edit]) == expected


@pytest.mark.parametrize("text", ["vllm serve m --tp $TP\n", "vllm serve m --tp \"${TP:-6}\"\n"])
def test_replace_token_leaves_expansions_alone(text: str) -> None:
    assert replace_token(text, _at(1, 19, len(text)), "8") is None


def test_insert_flags_after_follows_the_list_style() -> None:
    flow = 'args: ["--tp", "8", "--port", "8000"]\n'
    edit = insert_flags_after(flow, _at(1, 17, 18), ["--ep-size", "8"])
    assert edit is not None and apply_edits(flow, [edit]) == \
        'args: ["--tp", "8", "--ep-size", "8", "--port", "8000"]\n'
    plain = "command: [--tp, 8]\n"
    edit = insert_flags_after(plain, _at(1, 17, 18), ["--ep-size", "8"])
    assert edit is not None and apply_edits(plain, [edit]) == 'command: [--tp, 8, --ep-size, "8"]\n'
    block = "  args:\n    - '--tp'\n    - '8'\n    - '--port'\n"
    edit = insert_flags_after(block, _at(3, 8, 9), ["--enable-expert-parallel"])
    assert edit is not None and apply_edits(block, [edit]) == \
        "  args:\n    - '--tp'\n    - '8'\n    - '--enable-expert-parallel'\n    - '--port'\n"
    inline_item = '    - "--tp=8"\n'
    assert insert_flags_after(inline_item, _at(1, 12, 13), ["--enable-expert-parallel"]) is None


# --------------------------------------------------------------------------------------------------
# PL202: the TP value, in every dialect


def test_pl202_in_a_shell_script_keeps_quotes_and_continuations(tmp_path: Path) -> None:
    text = ("#!/usr/bin/env bash\n# Llama 3.1 70B on one node\nvllm serve meta-llama/Llama-3.1-70B-Instruct \\\n"
            "  --tensor-parallel-size \"6\" \\\n  --max-model-len 8192\n")
    assert _fixed(tmp_path, "serve.sh", text) == text.replace('"6"', '"8"')
    assert "PL202" not in _codes(tmp_path, "serve.sh")


def test_pl202_in_a_python_call(tmp_path: Path) -> None:
    text = ("from vllm import LLM\n\nllm = LLM(model=\"meta-llama/Llama-3.1-70B-Instruct\", "
            "tensor_parallel_size=6)  # one node\n")
    assert _fixed(tmp_path, "batch.py", text) == text.replace("=6)", "=8)")


def test_pl202_in_production_stack_values(tmp_path: Path) -> None:
    text = ("servingEngineSpec:\n  modelSpec:\n    - name: llama70b\n      repository: vllm/vllm-openai\n"
            "      tag: v0.33.0\n      modelURL: meta-llama/Llama-3.1-70B-Instruct\n      replicaCount: 1\n"
            "      requestCPU: 16\n      requestMemory: 200Gi\n      vllmConfig:\n"
            "        tensorParallelSize: 6   # six of the node's GPUs\n")
    assert _fixed(tmp_path, "values.yaml", text) == text.replace("Size: 6 ", "Size: 8 ")


def test_pl202_fix_is_unsafe(tmp_path: Path) -> None:
    text = "vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 6\n"
    assert _fixed(tmp_path, "serve.sh", text, unsafe=False) == text


# --------------------------------------------------------------------------------------------------
# PL301: enable expert parallelism right after the TP value


def test_pl301_vllm_shell_flag_after_tp_on_the_same_line(tmp_path: Path) -> None:
    text = ("vllm serve deepseek-ai/DeepSeek-V3 \\\n  --tensor-parallel-size 8 \\\n"
            "  --max-model-len 8192  # one H200 node\n")
    assert _fixed(tmp_path, "serve.sh", text) == text.replace("size 8 ", "size 8 --enable-expert-parallel ")
    assert "PL301" not in _codes(tmp_path, "serve.sh")


def test_pl301_sglang_ep_size_in_a_markdown_runbook(tmp_path: Path) -> None:
    text = ("# DeepSeek-V3 on SGLang\n\n```bash\npython3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 "
            "--tp 8 --trust-remote-code\n```\n")
    assert _fixed(tmp_path, "README.md", text) == text.replace("--tp 8 ", "--tp 8 --ep-size 8 ")


def test_pl301_kubernetes_block_args_list(tmp_path: Path) -> None:
    text = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: deepseek-v3
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.33.0
          args:
            - "--model"
            - "deepseek-ai/DeepSeek-V3"
            - "--tensor-parallel-size"
            - "8"   # the whole node
            - "--max-model-len"
            - "8192"
          resources:
            limits:
              nvidia.com/gpu: 8
"""
    assert _fixed(tmp_path, "deploy.yaml", text) == text.replace(
        '- "8"   # the whole node\n', '- "8"   # the whole node\n            - "--enable-expert-parallel"\n')


def test_pl301_kubernetes_flow_args_list(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: Pod
metadata:
  name: qwen3
spec:
  containers:
    - name: sglang
      image: lmsysorg/sglang:v0.5.23
      command: ["python3", "-m", "sglang.launch_server"]
      args: ['--model-path', 'Qwen/Qwen3-235B-A22B-FP8', '--tp-size', '8']
      resources:
        limits:
          nvidia.com/gpu: 8
"""
    assert _fixed(tmp_path, "pod.yaml", text) == text.replace(
        "'--tp-size', '8']", "'--tp-size', '8', '--ep-size', '8']")


def test_pl301_bash_c_block_scalar(tmp_path: Path) -> None:
    text = """services:
  vllm:
    image: vllm/vllm-openai:v0.33.0
    entrypoint: ["bash", "-c"]
    command:
      - |
        vllm serve deepseek-ai/DeepSeek-V3 \\
          --tensor-parallel-size 8 \\
          --port 8000
"""
    assert _fixed(tmp_path, "docker-compose.yaml", text) == text.replace(
        "size 8 \\", "size 8 --enable-expert-parallel \\")


# --------------------------------------------------------------------------------------------------
# PL902: broken line continuations


def test_pl902_trailing_spaces_are_deleted_by_a_safe_fix(tmp_path: Path) -> None:
    text = "vllm serve meta-llama/Llama-3.1-8B-Instruct \\  \t\n  --max-model-len 8192\n"
    assert _fixed(tmp_path, "serve.sh", text, unsafe=False) == \
        "vllm serve meta-llama/Llama-3.1-8B-Instruct \\\n  --max-model-len 8192\n"
    assert "PL902" not in _codes(tmp_path, "serve.sh")


def test_pl902_comment_moves_above_the_command_only_with_unsafe_fixes(tmp_path: Path) -> None:
    text = ("set -e\n  vllm serve deepseek-ai/DeepSeek-V3 \\\n    --tensor-parallel-size 8 \\   # one node\n"
            "    --enable-expert-parallel\n")
    assert _fixed(tmp_path, "serve.sh", text, unsafe=False) == text
    assert _fixed(tmp_path, "serve.sh", text) == (
        "set -e\n  # one node\n  vllm serve deepseek-ai/DeepSeek-V3 \\\n    --tensor-parallel-size 8 \\\n"
        "    --enable-expert-parallel\n")


def test_pl902_restores_dropped_flags_before_pl301_adds_them(tmp_path: Path) -> None:
    """The EP switch after the broken line was lost, so PL301 fires too; fixing the continuation restores it
    and PL301 adds nothing (no duplicated flag)."""
    text = ("```bash\nvllm serve deepseek-ai/DeepSeek-V3 \\\n  --tensor-parallel-size 8 \\  # node\n"
            "  --enable-expert-parallel\n```\n")
    assert _fixed(tmp_path, "run.md", text) == ("```bash\n# node\nvllm serve deepseek-ai/DeepSeek-V3 \\\n"
                                               "  --tensor-parallel-size 8 \\\n  --enable-expert-parallel\n```\n")
    assert _codes(tmp_path, "run.md") == []


def test_pl902_comment_moves_inside_a_yaml_block_scalar(tmp_path: Path) -> None:
    text = """name: llama-8b
resources:
  accelerators: H100:1
run: |
  vllm serve meta-llama/Llama-3.1-8B-Instruct \\  # one GPU
    --max-model-len 8192
"""
    assert _fixed(tmp_path, "task.yaml", text) == text.replace(
        "run: |\n  vllm", "run: |\n  # one GPU\n  vllm").replace(" \\  # one GPU\n", " \\\n")


# --------------------------------------------------------------------------------------------------
# PL101: GPU requests aligned with the structural count

_POD = """apiVersion: v1
kind: Pod
metadata:
  name: llama70b
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:v0.33.0
      args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "{tp}"]
      resources:
        limits:
          nvidia.com/gpu: {limit}  # whole node
        requests:
          cpu: "8"
          nvidia.com/gpu: "{request}"
"""


def test_pl101_kubernetes_limit_and_request_move_together(tmp_path: Path) -> None:
    text = _POD.format(tp=4, limit=1, request=1)
    assert _fixed(tmp_path, "pod.yaml", text, unsafe=False) == text
    assert _fixed(tmp_path, "pod.yaml", text) == _POD.format(tp=4, limit=4, request=4)
    assert "PL101" not in _codes(tmp_path, "pod.yaml")


def test_pl101_request_that_differs_from_the_limit_is_left_to_the_user(tmp_path: Path) -> None:
    text = _POD.format(tp=4, limit=1, request=2)
    assert _fixed(tmp_path, "pod.yaml", text) == text


def test_pl202_then_pl101_in_one_run(tmp_path: Path) -> None:
    """TP 6 becomes 8 (the next valid size for 64 heads), then the pod's 6 GPUs become 8."""
    text = _POD.format(tp=6, limit=6, request=6)
    assert _fixed(tmp_path, "pod.yaml", text) == _POD.format(tp=8, limit=8, request=8)


def test_pl101_compose_device_count(tmp_path: Path) -> None:
    text = """services:
  vllm:
    image: vllm/vllm-openai:v0.33.0
    command: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4"]
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 2   # reserved GPUs
              capabilities: [gpu]
"""
    assert _fixed(tmp_path, "compose.yaml", text) == text.replace("count: 2 ", "count: 4 ")


def test_pl101_production_stack_request_gpu(tmp_path: Path) -> None:
    text = ("servingEngineSpec:\n  modelSpec:\n    - name: llama70b\n      repository: vllm/vllm-openai\n"
            "      tag: v0.33.0\n      modelURL: meta-llama/Llama-3.1-70B-Instruct\n      requestGPU: 4\n"
            "      vllmConfig:\n        tensorParallelSize: 8\n")
    assert _fixed(tmp_path, "values.yaml", text) == text.replace("requestGPU: 4", "requestGPU: 8")


_TASK = """resources:
  accelerators: {accelerators}
run: |
  vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4
"""


def test_pl101_skypilot_single_accelerator_count(tmp_path: Path) -> None:
    text = _TASK.format(accelerators="'H100:8'")
    assert _fixed(tmp_path, "task.yaml", text) == _TASK.format(accelerators="'H100:4'")


def test_pl101_skypilot_alternatives_keep_their_counts(tmp_path: Path) -> None:
    text = _TASK.format(accelerators="{H100: 8, H200: 8}")
    assert _fixed(tmp_path, "task.yaml", text) == text
    text = _TASK.format(accelerators="H100:{4,8}")
    assert _fixed(tmp_path, "task.yaml", text) == text


# --------------------------------------------------------------------------------------------------
# PL903 / PL901 on command lines


def test_pl903_sglang_dp_attention_rewritten_in_a_shell_command(tmp_path: Path) -> None:
    """SGLang 0.5.23 ``parallel_hook.handle_deprecated_dp_attention`` turns ``--dp N --enable-dp-attention``
    into ``attn_dp_size=N, dp_size=1``: the fix writes exactly that (safe)."""
    text = ("python3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp 8 --dp 8 "
            "--enable-dp-attention --trust-remote-code\n")
    assert _fixed(tmp_path, "serve.sh", text, unsafe=False) == (
        "python3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp 8 --attn-dp-size 8 "
        "--trust-remote-code\n")
    assert "PL903" not in _codes(tmp_path, "serve.sh")


def test_pl903_switch_alone_on_a_continued_line_is_removed_with_its_line(tmp_path: Path) -> None:
    text = ("python3 -m sglang.launch_server \\\n  --model-path deepseek-ai/DeepSeek-V3 \\\n  --tp-size 8 \\\n"
            "  --dp-size=8 \\\n  --enable-dp-attention \\\n  --port 30000\n")
    assert _fixed(tmp_path, "serve.sh", text, unsafe=False) == text.replace(
        "--dp-size=8", "--attn-dp-size=8").replace("  --enable-dp-attention \\\n", "")


def test_pl903_kubernetes_block_args(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: Pod
metadata:
  name: dsv3
spec:
  containers:
    - name: sglang
      image: lmsysorg/sglang:v0.5.23
      command: ["python3", "-m", "sglang.launch_server"]
      args:
        - --model-path
        - deepseek-ai/DeepSeek-V3
        - --tp-size
        - "8"
        - --dp-size
        - "8"
        - --enable-dp-attention
      resources:
        limits:
          nvidia.com/gpu: 8
"""
    assert _fixed(tmp_path, "pod.yaml", text, unsafe=False) == text.replace(
        "- --dp-size", "- --attn-dp-size").replace("        - --enable-dp-attention\n", "")


def test_pl901_flag_respelled_in_a_flow_args_list(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: Pod
metadata:
  name: llama70b
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:v0.33.0
      args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor_parallel_sise=4"]
      resources:
        limits:
          nvidia.com/gpu: 4
"""
    assert _fixed(tmp_path, "pod.yaml", text, unsafe=False) == text
    assert _fixed(tmp_path, "pod.yaml", text) == text.replace("tensor_parallel_sise", "tensor-parallel-size")
    assert "PL901" not in _codes(tmp_path, "pod.yaml")


def test_pl901_same_option_respelled_safely_in_a_script(tmp_path: Path) -> None:
    text = "python3 -m sglang.launch_server --model-path Qwen/Qwen3-32B --tp_size '2'  # two GPUs\n"
    assert _fixed(tmp_path, "serve.sh", text, unsafe=False) == text.replace("--tp_size", "--tp-size")


# --------------------------------------------------------------------------------------------------
# Generated cases: every dialect x a TP the heads do not divide x a MoE model without EP


_TEMPLATES = {
    "serve.sh": "#!/bin/bash\n# {comment}\nvllm serve {model} \\\n  --tensor-parallel-size {quote}{tp}{quote} \\\n"
                "  --max-model-len 8192\n",
    "README.md": "# Run\n\n```console\n$ vllm serve {model} --tensor-parallel-size {quote}{tp}{quote}"
                 "  # {comment}\n```\n",
    "Dockerfile": "FROM vllm/vllm-openai:v0.33.0\n# {comment}\n"
                  "CMD [\"--model\", \"{model}\", \"--tensor-parallel-size\", \"{tp}\"]\n",
    "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: m\nspec:\n  containers:\n    - name: vllm\n"
                "      image: vllm/vllm-openai:v0.33.0\n      args:  # {comment}\n        - --model\n"
                "        - {model}\n        - --tensor-parallel-size\n        - {quote}{tp}{quote}\n",
    "compose.yaml": "services:\n  vllm:\n    image: vllm/vllm-openai:v0.33.0\n    entrypoint: [\"bash\", \"-c\"]\n"
                    "    command:\n      - |\n        # {comment}\n        vllm serve {model} \\\n"
                    "          --tensor-parallel-size {tp}\n",
}
_CASES = [("meta-llama/Llama-3.1-70B-Instruct", tp, "PL202") for tp in (3, 5, 6, 7)] + \
    [("deepseek-ai/DeepSeek-V3", 8, "PL301"), ("Qwen/Qwen3-235B-A22B-FP8", 4, "PL301")]


@pytest.mark.parametrize("name", sorted(_TEMPLATES))
@pytest.mark.parametrize(("model", "tp", "code"), _CASES)
@pytest.mark.parametrize("quote", ["", "'"])
def test_generated_launch_fixes(tmp_path: Path, name: str, model: str, tp: int, code: str, quote: str) -> None:
    """The fixed code is gone, comments stay, a second run changes nothing and ``--diff`` shows the edit."""
    text = _TEMPLATES[name].format(model=model, tp=tp, quote=quote if name != "Dockerfile" else "",
                                   comment="keep me")
    target = tmp_path / name
    target.write_text(text, "utf-8")
    assert code in _codes(tmp_path, name)
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        main(["check", "--diff", "--unsafe-fixes", "--no-cache", str(target)])
    after = _fixed(tmp_path, name, text)
    assert code not in _codes(tmp_path, name)
    assert "# keep me" in after and after != text
    assert _fixed(tmp_path, name, after) == after
    assert out.getvalue() == unified_diff(str(target), text, after)
