"""Launch commands in shell scripts, Slurm scripts, Markdown run-books and Dockerfiles."""

from __future__ import annotations

from pathlib import Path

from parlint.linter.diagnostics import Position
from parlint.linter.launch import extract_text, file_kind, looks_relevant

SCRIPT = """\
#!/bin/bash
#SBATCH --nodes=2
#SBATCH --gres=gpu:h100:8
MODEL=${MODEL:-meta-llama/Llama-3.1-70B-Instruct}
export CUDA_VISIBLE_DEVICES=0,1,2,3
srun --ntasks=2 vllm serve "$MODEL" \\
  --tensor-parallel-size 8 \\
  --max-model-len=32768
"""


def test_file_kinds() -> None:
    assert [file_kind(name) for name in ("a.sh", "run.bash", "README.md", "Dockerfile", "Dockerfile.rocm",
                                         "serve.py", "x.yaml", "x.json", "notes.txt")] == [
        "shell", "shell", "markdown", "dockerfile", "dockerfile", "python", "yaml", "json", ""]
    assert {file_kind(name) for name in ("Dockerfile-vllm", "Dockerfile_cuda12", "vllm.Dockerfile", "serve-Dockerfile",
                                         "Containerfile.rocm")} == {"dockerfile"}
    assert file_kind("serve", "#!/usr/bin/env bash\nvllm serve m\n") == "shell"
    assert file_kind("serve", "#!/usr/bin/env python3\n") == ""


def test_relevance_pre_check() -> None:
    assert looks_relevant("python -m sglang.launch_server --tp 8")
    assert not looks_relevant("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n")


def test_shell_script_plan_supply_and_environment() -> None:
    (plan,) = extract_text("run.sh", SCRIPT, "shell").plans
    assert plan.engine == "vllm"
    assert plan.model is not None and plan.model.value == "meta-llama/Llama-3.1-70B-Instruct"
    assert plan.model.range.start == Position(6, 28)
    assert (plan.settings["tp"].value, plan.settings["tp"].range.start) == (8, Position(7, 26))
    assert plan.settings["max_model_len"].range.start == Position(8, 19)
    slurm, visible = plan.supply
    assert (slurm.scope, slurm.count.value, slurm.units, slurm.count.range.start) == ("node", 8, 2, Position(3, 25))
    assert (visible.scope, visible.count.value, visible.count.range.start) == ("process", 4, Position(5, 29))
    assert plan.gpu is not None and plan.gpu.value == "h100"
    assert plan.gpus_per_node is not None and plan.gpus_per_node.value == 8


def test_unresolved_degree_makes_the_plan_unknown_and_other_values_are_dropped() -> None:
    text = "vllm serve m --tensor-parallel-size $TP\npython -m sglang.launch_server --model-path $M --tp 4\n"
    (plan,) = extract_text("run.sh", text, "shell").plans
    assert plan.engine == "sglang" and plan.model is None and plan.settings["tp"].value == 4


def test_engine_programs_and_wrappers() -> None:
    text = (
        "exec nohup python3 -u -m vllm.entrypoints.openai.api_server --model m -tp 2 &\n"
        "mpirun -n 16 trtllm-llmapi-launch trtllm-serve deepseek-ai/DeepSeek-R1 --tp_size 16\n"
        "python -m sglang_router.launch_server --model-path m --dp-size 8 --router-policy cache_aware\n"
        "bash -c 'sglang serve --model-path m --tp-size 2'\n"
        "docker run --gpus 2 --rm vllm/vllm-openai:v0.10.0 --model m --tensor-parallel-size 4\n"
        "python -m mii.entrypoints.openai_api_server --model m --tensor-parallel 2 --replica-num 2\n"
    )
    plans = extract_text("run.sh", text, "shell").plans
    assert [(plan.engine, plan.get("tp"), plan.get("dp"), plan.get("replicas")) for plan in plans] == [
        ("vllm", 2, None, None), ("trtllm", 16, None, None), ("sglang", None, 8, None), ("sglang", 2, None, None),
        ("vllm", 4, None, None), ("mii", 2, None, 2)]
    assert [(item.scope, item.count.value) for item in plans[1].supply] == [("total", 16)]
    assert not plans[2].unknown_keys  # router flags are not server flags
    assert plans[3].settings["tp"].range.start == Position(4, 48)
    assert [(item.scope, item.count.value) for item in plans[4].supply] == [("node", 2)]


def test_shell_command_strings_after_any_options() -> None:
    text = (
        "bash -ec 'vllm serve m -tp 2'\n"
        "bash -o pipefail -c 'vllm serve m -tp 4 | tee log'\n"
        "/bin/bash --login -lc -- 'vllm serve m -tp 8'\n"
        "bash --rcfile env.sh -c 'vllm serve m -tp 1'\n"
        "bash serve.sh -c 'vllm serve m -tp 16'\n"  # a script file's arguments, not a command string
    )
    assert [plan.get("tp") for plan in extract_text("run.sh", text, "shell").plans] == [2, 4, 8, 1]


def test_markdown_fences_console_prompts_and_broken_continuation() -> None:
    text = (
        "# Run-book\n\n"
        "```console\n"
        "$ export TP=8\n"
        "$ vllm serve deepseek-ai/DeepSeek-V3 \\\n"
        "    --tensor-parallel-size $TP \\   # one node\n"
        "    --enable-expert-parallel\n"
        "INFO: started\n"
        "```\n\n"
        "```python\nvllm serve x --tensor-parallel-size 3\n```\n"
    )
    launch = extract_text("README.md", text, "markdown")
    (plan,) = launch.plans
    assert (plan.settings["tp"].value, plan.settings["tp"].range.start) == (8, Position(6, 28))
    assert "enable_ep" not in plan.settings
    (broken,) = launch.broken
    assert broken.range.start == Position(6, 32)
    assert [word.text for word in broken.dropped] == ["--enable-expert-parallel"]


def test_markdown_fence_inside_a_list_keeps_columns() -> None:
    text = "1. Start:\n\n   ```bash\n   vllm serve m --tensor-parallel-size 2\n   ```\n"
    (plan,) = extract_text("README.md", text, "markdown").plans
    assert plan.settings["tp"].range.start == Position(4, 40)


def test_an_elided_model_in_a_run_book_is_unknown_not_a_model_named_dots() -> None:
    text = "```bash\nvllm serve ... --tensor-parallel-size 2\nvllm serve \u2026 --port 8000\n```\n"
    plans = extract_text("README.md", text, "markdown").plans
    assert [(plan.model, plan.get("tp")) for plan in plans] == [(None, 2), (None, None)]


def test_dockerfile_exec_form_env_and_image_entrypoint() -> None:
    text = (
        "FROM vllm/vllm-openai:v0.10.0\n"
        "ENV CUDA_VISIBLE_DEVICES=0,1\n"
        'CMD ["--model", "meta-llama/Llama-3.1-8B-Instruct", \\\n'
        '     "--tensor-parallel-size", "4"]\n'
    )
    (plan,) = extract_text("Dockerfile", text, "dockerfile").plans
    assert (plan.settings["tp"].value, plan.settings["tp"].range.start) == (4, Position(4, 32))
    assert [(item.scope, item.count.value) for item in plan.supply] == [("process", 2)]


def test_dockerfile_shell_form_entrypoint_with_cmd() -> None:
    text = ('FROM python:3.11\nENTRYPOINT ["python3", "-m", "sglang.launch_server"]\n'
            'CMD ["--model-path", "m", "--tp", "2"]\n')
    (plan,) = extract_text("Dockerfile", text, "dockerfile").plans
    assert plan.engine == "sglang" and plan.settings["tp"].value == 2


def test_python_calls() -> None:
    text = (
        "import mii\nfrom vllm import LLM\nfrom tensorrt_llm import LLM as TrtLLM\n"
        "llm = LLM(model='meta-llama/Llama-3.1-70B-Instruct', tensor_parallel_size=4, max_model_len=8192)\n"
        "client = mii.serve('mistralai/Mixtral-8x7B-v0.1', tensor_parallel=2, replica_num=2)\n"
        "unknown = LLM(model='m', tensor_parallel_size=tp)\n"
        "trt = TrtLLM('m', tensor_parallel_size=8)\n"
        "from sglang import Engine\nengine = Engine(model_path='m', tp_size=2, dp_size=2)\n"
    )
    plans = extract_text("serve.py", text, "python").plans
    assert [(plan.engine, plan.get("tp"), plan.get("replicas")) for plan in plans] == [
        ("vllm", 4, None), ("mii", 2, 2), ("trtllm", 8, None), ("sglang", 2, None)]
    assert plans[0].settings["tp"].range.start == Position(4, 75)
    assert plans[0].model is not None and plans[0].model.range.start == Position(4, 17)


def test_config_file_merges_with_the_engines_precedence(tmp_path: Path) -> None:
    (tmp_path / "dsv3.yaml").write_text(
        "model: deepseek-ai/DeepSeek-V3\ntensor-parallel-size: 8\ndata-parallel-size: 2\n"
        "enable-expert-parallel: true\n")
    (tmp_path / "trt.yaml").write_text("tensor_parallel_size: 8\nmoe_expert_parallel_size: 8\n")
    script = tmp_path / "run.sh"
    script.write_text(
        "vllm serve --config dsv3.yaml --data-parallel-size 4\n"
        "trtllm-serve deepseek-ai/DeepSeek-R1 --tp_size 4 --extra_llm_api_options trt.yaml\n"
        "vllm serve m --config missing.yaml\n")
    vllm, trtllm = extract_text(str(script), script.read_text(), "shell").plans
    assert vllm.model is not None and vllm.model.value == "deepseek-ai/DeepSeek-V3"
    assert (vllm.get("tp"), vllm.get("dp"), vllm.get("enable_ep")) == (8, 4, True)  # the CLI wins in vLLM
    assert vllm.settings["tp"].file == str(tmp_path / "dsv3.yaml") and vllm.settings["dp"].file == str(script)
    assert (trtllm.get("tp"), trtllm.get("ep")) == (8, 8)  # the file wins in TensorRT-LLM


def test_dockerfile_shell_form_entrypoint_ignores_cmd() -> None:
    text = 'FROM python:3.11\nENTRYPOINT vllm serve m --tensor-parallel-size 2\nCMD ["--tensor-parallel-size", "4"]\n'
    (plan,) = extract_text("Dockerfile", text, "dockerfile").plans
    assert plan.get("tp") == 2


def test_markdown_yaml_fence_manifest_keeps_file_positions() -> None:
    text = (
        "# Deploy\n\n"
        "1. Apply:\n\n"
        "   ```yaml\n"
        "   apiVersion: v1\n"
        "   kind: Pod\n"
        "   metadata: {name: p}\n"
        "   spec:\n"
        "     containers:\n"
        "       - name: vllm\n"
        "         image: vllm/vllm-openai:v0.33.0\n"
        "         args: [--model, m, --tensor-parallel-size, '4']\n"
        "         resources: {limits: {nvidia.com/gpu: 2}}\n"
        "   ```\n"
    )
    (plan,) = extract_text("README.md", text, "markdown").plans
    assert plan.settings["tp"].range.start == Position(13, 54)
    assert [(item.count.value, item.count.range.start) for item in plan.supply] == [(2, Position(14, 47))]


def test_ray_serve_llm_config_and_unknown_values() -> None:
    text = (
        "from ray.serve.llm import LLMConfig, build_openai_app\n"
        "config = LLMConfig(\n"
        "    model_loading_config={'model_id': 'Qwen/Qwen3-32B'},\n"
        "    accelerator_type='A100-80G',\n"
        "    engine_kwargs={'tensor_parallel_size': 2, 'max_model_len': length},\n"
        ")\n"
        "other = LLMConfig(engine_kwargs={'tensor_parallel_size': tp})\n"
        "from vllm import LLM\nkwargs = LLM(**options)\n"
        "from langchain_core.language_models import LLM as Chat\nchat = Chat(model='gpt-4', tensor_parallel_size=8)\n"
    )
    (plan,) = extract_text("serve.py", text, "python").plans
    assert plan.model is not None and plan.model.value == "Qwen/Qwen3-32B"
    assert plan.gpu is not None and plan.gpu.value == "A100-80G"
    assert plan.get("tp") == 2 and "max_model_len" not in plan.settings
    assert plan.settings["tp"].range.start == Position(5, 44)
    # dict(...) calls as in Ray's docs; the weights come from model_source, model_id is the served name.
    called = ("from ray.serve.llm import LLMConfig\n"
              "c = LLMConfig(model_loading_config=dict(model_id='qwen', model_source='Qwen/Qwen3-32B'),\n"
              "              engine_kwargs=dict(tensor_parallel_size=4))\n"
              "d = LLMConfig(model_loading_config=dict(model_id='Qwen/Qwen3-8B'),\n"
              "              engine_kwargs=dict(tensor_parallel_size=2, **extra))\n")  # ** may hold any degree
    assert [(plan.model.value if plan.model else None, plan.get("tp"))
            for plan in extract_text("serve.py", called, "python").plans] == [("Qwen/Qwen3-32B", 4)]
    # Ray's SGLang builder: engine_kwargs are SGLang's ServerArgs.
    sglang = ("from ray.llm.examples.sglang.modules.builder import build_sglang_openai_app\n"
              "from ray.serve.llm import LLMConfig\n"
              "c = LLMConfig(model_loading_config={'model_id': 'q'}, engine_kwargs={'model_path': 'Qwen/Qwen3-32B',"
              " 'tp_size': 2})\n")
    [plan] = extract_text("serve.py", sglang, "python").plans
    assert (plan.engine, plan.get("tp"), plan.model.value if plan.model else None) == ("sglang", 2, "Qwen/Qwen3-32B")


def test_helm_chart_templates_are_not_yaml(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: serving\nversion: 0.1.0\n")
    (tmp_path / "templates" / "engines").mkdir(parents=True)
    assert file_kind(str(tmp_path / "templates" / "deploy.yaml")) == "helm-template"
    assert file_kind(str(tmp_path / "templates" / "engines" / "vllm.yaml")) == "helm-template"
    assert file_kind(str(tmp_path / "values.yaml")) == "yaml"
    assert file_kind(str(tmp_path / "other" / "templates" / "x.yaml")) == "yaml"
    assert extract_text("deploy.yaml", "{{- range .Values.models }}\nvllm serve x\n", "helm-template").plans == []
