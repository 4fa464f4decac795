"""Write a :class:`parlint.linter.planner.PlannedDeployment` as a config in an engine's own dialect.

Key spellings come from the adapters' flag tables (:mod:`parlint.linter.adapters.flags`), never from a
second table: vLLM ``--config`` YAML uses the long option names without ``--`` (frameworks.md §1.2),
SGLang YAML its dashed keys (§2.2), TensorRT-LLM extra-options YAML the ``BaseLlmArgs`` field names
(§4.1, §4.2), DeepSpeed inference JSON its nested ``DeepSpeedInferenceConfig`` paths (§3.1), and the
parlint plan follows ``parlint/schemas/plan.schema.json``.

An engine that cannot hold several replicas in one config (vLLM MoE: DP ranks join one expert group;
SGLang across nodes or beside attention DP; TensorRT-LLM and DeepSpeed: one server per replica) gets the
config of the replicas it can hold and a comment saying how many copies to start.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parlint.linter.adapters.flags import DEEPSPEED, SGLANG, TRTLLM, VLLM, EngineFlags
from parlint.linter.planner import PlannedDeployment, gib

COMMENT_WIDTH = 108
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./:+-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})
_DEEPSPEED_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}


@dataclass(frozen=True)
class EmittedConfig:
    """The config text, its format (``yaml`` or ``json``), and how many replicas it serves of the plan's."""

    text: str
    format: str
    replicas_in_config: int
    copies: int

    @property
    def suffix(self) -> str:
        return ".json" if self.format == "json" else ".yaml"


def config_key(table: EngineFlags, setting: str) -> str:
    """How ``table``'s engine spells the canonical ``setting`` in its config file (not deprecated)."""
    for flag in table.flags:
        if flag.setting == setting and not flag.deprecated and not flag.removed and not flag.cli_only:
            # vLLM's file takes the option's long name; the others their file key.
            return flag.long[2:] if table is VLLM else flag.key
    raise KeyError(f"{table.engine} has no config key for {setting!r}")


def _keys(table: EngineFlags) -> Callable[[str], str]:
    def key(setting: str) -> str:
        return config_key(table, setting)

    return key


def emit(plan: PlannedDeployment, fmt: str = "yaml") -> EmittedConfig:
    """The config for ``plan`` in its engine's dialect; ``fmt`` ``json`` drops the comments."""
    builder = {"vllm": _vllm, "sglang": _sglang, "trtllm": _trtllm, "deepspeed": _deepspeed,
               "parlint": _parlint}[plan.engine]
    data, in_config, comments = builder(plan)
    copies = plan.replicas // in_config
    if plan.engine == "deepspeed" or fmt == "json":
        return EmittedConfig(json.dumps(data, indent=2) + "\n", "json", in_config, copies)
    header = _header(plan, in_config, copies)
    return EmittedConfig(header + _yaml(data, comments), "yaml", in_config, copies)


# --------------------------------------------------------------------------------------------------
# Engines


def _config_gpus(plan: PlannedDeployment, replicas: int) -> int:
    return plan.gpus_per_replica * replicas


def _nodes(plan: PlannedDeployment, replicas: int) -> int:
    return -(-_config_gpus(plan, replicas) // plan.gpus_per_node)


def _uneven_note(plan: PlannedDeployment, engine_name: str) -> str:
    """An inline suppression of PL203's info when the engine's default split is uneven (the plan chose it)."""
    layers = plan.model.num_layers
    if plan.pp <= 1 or layers % plan.pp == 0:
        return ""
    split = "/".join(str(last - first) for first, last in (stage.layers for stage in plan.stages))
    return f"parlint: disable=PL203 -- {layers} layers split {split} by {engine_name}'s rule, planned"


def _vllm(plan: PlannedDeployment) -> tuple[dict[str, Any], int, dict[str, str]]:
    """vLLM: ``tp`` is attention TP; on MoE ``dp`` is attention DP inside the EP group of ``tp x dp``
    (``FusedMoEParallelConfig.make``), on dense models ``dp`` makes replicas
    (``reconfigure_for_independent_dp_rank``)."""
    key = _keys(VLLM)
    moe = plan.model.is_moe
    replicas = 1 if moe else plan.replicas
    data: dict[str, Any] = {key("model"): plan.model.id, key("tp"): plan.attn_tp}
    comments: dict[str, str] = {}
    if plan.pp > 1:
        data[key("pp")] = plan.pp
        if note := _uneven_note(plan, "vLLM"):
            comments[key("pp")] = note
    dp = plan.attn_dp if moe else replicas
    if dp > 1:
        data[key("dp")] = dp
    if moe and plan.stage_size > 1:
        data[key("enable_ep")] = True
    if _nodes(plan, replicas) > 1:
        data[key("nnodes")] = _nodes(plan, replicas)
    data[key("max_model_len")] = plan.max_model_len
    return data, replicas, comments


def _sglang_replicas(plan: PlannedDeployment) -> int:
    """SGLang ``dp-size`` replicas: not beside attention DP (``sglang-dp-with-attn-dp``) and not across nodes."""
    if plan.attn_dp > 1 or plan.gpus_per_replica >= plan.gpus_per_node:
        return 1
    fitting = plan.gpus_per_node // plan.gpus_per_replica
    return max(count for count in range(1, min(fitting, plan.replicas) + 1) if plan.replicas % count == 0)


def _sglang(plan: PlannedDeployment) -> tuple[dict[str, Any], int, dict[str, str]]:
    """SGLang: GPUs = dp x tp x pp; attention DP and EP fold into TP (``compute_world_size``)."""
    key = _keys(SGLANG)
    replicas = _sglang_replicas(plan)
    data: dict[str, Any] = {key("model"): plan.model.id, key("tp"): plan.stage_size}
    comments: dict[str, str] = {}
    if plan.pp > 1:
        data[key("pp")] = plan.pp
        if note := _uneven_note(plan, "SGLang"):
            comments[key("pp")] = note
    if plan.model.is_moe and plan.stage_size > 1:
        data[key("ep")] = plan.stage_size
    if plan.attn_dp > 1:
        data[key("attn_dp")] = plan.attn_dp
    if replicas > 1:
        data[key("dp")] = replicas
    if _nodes(plan, replicas) > 1:
        data[key("nnodes")] = _nodes(plan, replicas)
    data[key("max_model_len")] = plan.max_model_len
    return data, replicas, comments


def _trtllm(plan: PlannedDeployment) -> tuple[dict[str, Any], int, dict[str, str]]:
    """TensorRT-LLM: GPUs = tp x pp; MoE ``moe_tp x moe_ep = tp`` (``MappingBase.__init__``); attention DP
    runs attention at TP 1 on every rank. The split is written out (``pp_partition``)."""
    key = _keys(TRTLLM)
    data: dict[str, Any] = {key("model"): plan.model.id, key("tp"): plan.stage_size}
    if plan.pp > 1:
        data[key("pp")] = plan.pp
        data[key("pp_partition")] = [last - first for first, last in (stage.layers for stage in plan.stages)]
    if plan.model.is_moe and plan.stage_size > 1:
        data[key("ep")] = plan.stage_size
        data[key("moe_tp")] = 1
    if plan.attn_dp > 1:
        data[key("enable_attention_dp")] = True
    if _nodes(plan, 1) > 1:
        data[key("gpus_per_node")] = plan.gpus_per_node
    data[key("max_model_len")] = plan.max_model_len
    return data, 1, {}


def _nested(path: str, value: Any, into: dict[str, Any]) -> None:
    head, _, tail = path.partition(".")
    if tail:
        _nested(tail, value, into.setdefault(head, {}))
    else:
        into[head] = value


def _deepspeed(plan: PlannedDeployment) -> tuple[dict[str, Any], int, dict[str, str]]:
    """DeepSpeed inference: the TP group is ranks ``0..tp-1``; MoE uses ``moe.ep_size`` with whole experts."""
    key = _keys(DEEPSPEED)
    data: dict[str, Any] = {key("dtype"): _DEEPSPEED_DTYPES.get(plan.model.dtype, "fp16")}
    _nested(key("tp"), plan.stage_size, data)
    if plan.model.is_moe and plan.model.moe is not None:
        _nested("moe.enabled", True, data)
        _nested(key("ep"), plan.stage_size, data)
        _nested(key("moe_experts"), [plan.model.moe.experts], data)
    data[key("max_model_len")] = plan.max_model_len
    return data, 1, {}


def _parlint(plan: PlannedDeployment) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A ``kind: ParallelPlan`` document with the decision log and every stage."""
    decisions = []
    for step in plan.steps:
        entry: dict[str, Any] = {"step": step.step}
        if step.degrees:
            entry["degrees"] = dict(step.degrees)
        entry["reason"] = step.reason
        decisions.append(entry)
    stages = []
    for stage in plan.stages:
        entry = {"layers": list(stage.layers), "gpus": list(stage.gpus), "attention": {"tp": plan.attn_tp}}
        if plan.model.is_moe:
            entry["experts"] = {"ep": plan.ep, "per_gpu": plan.experts_per_gpu}
        entry["tp_applies_to"] = ["attention", "ffn"]
        stages.append(entry)
    data: dict[str, Any] = {
        "kind": "ParallelPlan",
        "model": plan.model.id,
        "hardware": {"gpu": plan.gpu.name, "gpus_per_node": plan.gpus_per_node, "nodes": _nodes(plan, plan.replicas)},
        "objective": plan.objective,
        "decisions": decisions,
        "stages": stages,
        "replicas": plan.replicas,
        "gpus": plan.gpus_used,
    }
    return data, plan.replicas, {}


# --------------------------------------------------------------------------------------------------
# Text


_LAUNCH = {
    "vllm": "vllm serve --config {file}",
    "sglang": "python -m sglang.launch_server --config {file}",
    "trtllm": "trtllm-serve {model} --config {file}",
    "parlint": "parlint check {file}",
}
_MULTI_NODE = {
    "vllm": "on node i of {nodes}: add --node-rank i --master-addr <node 0 address>",
    "sglang": "on node i of {nodes}: add --node-rank i --dist-init-addr <node 0 address:port>",
    "trtllm": "launch under MPI or Slurm with {gpus} ranks (mpirun -n {gpus} trtllm-llmapi-launch trtllm-serve ...)",
}


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, COMMENT_WIDTH, break_on_hyphens=False)] or ["#"]


def _header(plan: PlannedDeployment, in_config: int, copies: int) -> str:
    lines = _comment(f"{plan.model.id} on {plan.budget} {plan.gpu.name} GPUs ({plan.gpus_per_node} per node), "
                     f"objective {plan.objective}: {plan.summary()}.")
    launch = _LAUNCH.get(plan.engine)
    if launch:
        lines += _comment("Run: " + launch.format(file="<this file>", model=plan.model.id))
    nodes = _nodes(plan, in_config)
    if nodes > 1 and plan.engine in _MULTI_NODE:
        lines += _comment(_MULTI_NODE[plan.engine].format(nodes=nodes, gpus=_config_gpus(plan, in_config)))
    if copies > 1:
        lines += _comment(f"This config serves {in_config} of the {plan.replicas} replicas: start {copies} copies "
                          f"of it, each on its own {_config_gpus(plan, in_config)} GPUs.")
    lines.append("#")
    lines.append("# Decision log (the seed's order: structure, structural, operator, data):")
    for step in plan.steps:
        lines += _comment(f"{step.step}: {step.reason}")
    for stage in plan.stages:
        memory = stage.memory
        lines.append(f"# memory per GPU, stage {stage.index} (layers {stage.layers[0]}-{stage.layers[1] - 1}): "
                     f"weights {gib(memory.weights)} + KV {gib(memory.kv_cache)} + overhead {gib(memory.overhead)} = "
                     f"{gib(memory.total)} of {gib(plan.gpu.memory_bytes)}")
    for note in plan.notes:
        lines += _comment(note)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(":"):
        return text
    return json.dumps(text)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return _scalar(value)


def _yaml(data: dict[str, Any], comments: dict[str, str], indent: str = "") -> str:
    """Block mappings and lists of mappings, flow style for the leaves; ``comments`` trail their key's line."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict) and any(isinstance(item, (dict, list)) for item in value.values()):
            lines.append(f"{indent}{key}:")
            lines.append(_yaml(value, {}, indent + "  ").rstrip("\n"))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            lines.append(f"{indent}{key}:")
            for item in value:
                body = _yaml(item, {}, indent + "    ").rstrip("\n")
                lines.append(indent + "  - " + body.lstrip())
        else:
            line = f"{indent}{key}: {_flow(value)}"
            if key in comments:
                line += f"   # {comments[key]}"
            lines.append(line)
    return "\n".join(lines) + "\n"


def render_text(plan: PlannedDeployment, config: EmittedConfig) -> str:
    """``parlint plan --format text``: the mapping, the decision log, memory per GPU and the config."""
    lines = [f"{plan.model.id} on {plan.budget} x {plan.gpu.name} ({plan.gpus_per_node} per node), engine "
             f"{plan.engine}, objective {plan.objective}", "", "mapping: " + plan.summary()]
    for stage in plan.stages:
        lines.append(f"  stage {stage.index}: layers {stage.layers[0]}-{stage.layers[1] - 1}, GPUs "
                     f"{stage.gpus[0]}-{stage.gpus[-1]}, attention TP {plan.attn_tp} x DP {plan.attn_dp}, FFN TP "
                     f"{plan.ffn_tp}" + (f", EP {plan.ep} ({plan.experts_per_gpu} experts per GPU)"
                                         if plan.model.is_moe else ""))
    if plan.replicas > 1:
        lines.append(f"  replicas: {plan.replicas} (GPUs 0-{plan.gpus_per_replica - 1} show the first)")
    lines += ["", "decision log:"]
    for number, step in enumerate(plan.steps, 1):
        lines.append(textwrap.fill(f"{number}. {step.step}: {step.reason}", COMMENT_WIDTH, subsequent_indent="   "))
    lines += ["", "memory per GPU (fullest GPU of each stage):"]
    for stage in plan.stages:
        memory = stage.memory
        lines.append(f"  stage {stage.index}: weights {gib(memory.weights)} + KV cache {gib(memory.kv_cache)} "
                     f"({plan.max_model_len} tokens) + overhead {gib(memory.overhead)} = {gib(memory.total)} of "
                     f"{gib(plan.gpu.memory_bytes)}")
    lines += [f"  note: {note}" for note in plan.notes]
    if config.copies > 1:
        lines += ["", f"start {config.copies} copies of this config ({config.replicas_in_config} "
                      f"replica{'s' if config.replicas_in_config > 1 else ''} each):"]
    else:
        lines += ["", "config:"]
    lines.append(config.text.rstrip("\n"))
    return "\n".join(lines) + "\n"


def plan_command(model_ref: str, *, gpus: int, gpu_name: str, gpus_per_node: int, engine: str, objective: str,
                 max_model_len: int | None, fmt: str, model_config: str | None = None,
                 config_dir: str | None = None) -> tuple[str, str]:
    """``parlint plan``: (standard output, "") or ("", the reason no plan is printed)."""
    from parlint.linter.models.hardware import find_gpu, gpu_names
    from parlint.linter.models.resolve import resolve_model
    from parlint.linter.planner import NoPlan, plan_deployment

    gpu = find_gpu(gpu_name)
    if gpu is None:
        return "", f"unknown GPU {gpu_name!r}; known: {', '.join(gpu_names())}"
    resolution = resolve_model(model_ref, config_dir=config_dir, model_config=model_config)
    if resolution.structure is None:
        return "", resolution.message
    planned = plan_deployment(resolution.structure, gpus=gpus, gpu=gpu, gpus_per_node=gpus_per_node, engine=engine,
                              objective=objective, max_model_len=max_model_len)
    if isinstance(planned, NoPlan):
        return "", f"no valid mapping: {planned.reason}"
    config = emit(planned, "json" if fmt == "json" else "yaml")
    return (render_text(planned, config) if fmt == "text" else config.text), ""
