"""Shared facts for the expert-parallel rules (PL204, PL301, PL401): which written value sets a MoE
degree, and how each engine spells "expert parallelism over the whole stage".

Engine keys follow ``shared/reference/frameworks.md``: vLLM ``enable_expert_parallel`` (EP = TP x DP x PCP,
``FusedMoEParallelConfig.make``), SGLang ``ep-size`` (``moe_tp = tp / ep / moe_dp``), TensorRT-LLM
``moe_expert_parallel_size`` / ``moe_tensor_parallel_size`` (``MappingBase.__init__``), DeepSpeed
``moe.ep_size``, Megatron ``expert_model_parallel_size`` / ``expert_tensor_parallel_size``.
"""

from __future__ import annotations

from typing import Any

from parlint.linter.constraints import experts_per_rank
from parlint.linter.context import finding
from parlint.linter.diagnostics import Finding
from parlint.linter.mapping import Deployment, Rejection
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced

# Per engine: (engine key, canonical setting, fixed value) that put EP over all GPUs of the MoE phase;
# a value of None stands for that GPU count.
_EP_KEYS: dict[str, tuple[tuple[str, str, bool | int | None], ...]] = {
    "vllm": (("enable-expert-parallel", "enable_ep", True),),
    "sglang": (("ep-size", "ep", None),),
    "trtllm": (("moe_expert_parallel_size", "ep", None), ("moe_tensor_parallel_size", "moe_tp", 1)),
    "deepspeed": (("moe.ep_size", "ep", None),),
    "megatron": (("expert-model-parallel-size", "ep", None), ("expert-tensor-parallel-size", "moe_tp", 1)),
}


ENGINE_NAMES = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM", "deepspeed": "DeepSpeed",
                "mii": "DeepSpeed-MII", "megatron": "Megatron"}


def engine_name(engine: str) -> str:
    return ENGINE_NAMES.get(engine, engine)


def model_name(model: ModelStructure) -> str:
    """The repository name without its organisation, as people say it (``DeepSeek-V3``)."""
    return model.id.rsplit("/", 1)[-1] or model.id


def first_source(plan: DeclaredPlan, *names: str) -> Sourced[Any] | None:
    return next((found for name in names if (found := plan.source(name)) is not None), None)


def ep_source(plan: DeclaredPlan) -> Sourced[Any] | None:
    """The written value that sets the EP size: an explicit size, vLLM's switch, else the degrees it derives from."""
    return first_source(plan, "ep", "enable_ep", "tp", "dp", "cp")


def _dialect_is_cli(plan: DeclaredPlan) -> bool:
    return plan.dialect.endswith("cli") or plan.dialect.endswith("command")


def ep_remedy(plan: DeclaredPlan, size: int) -> tuple[str, dict[str, Any]]:
    """How to write EP over ``size`` GPUs in the plan's engine and dialect, and the canonical settings."""
    keys = _EP_KEYS.get(plan.engine)
    if keys is None:
        return f"expert parallel size {size} without tensor parallelism inside experts", {"ep": size, "moe_tp": 1}
    cli = _dialect_is_cli(plan)
    parts: list[str] = []
    settings: dict[str, Any] = {}
    for key, canonical, fixed in keys:
        value = size if fixed is None else fixed
        settings[canonical] = value
        written = str(value).lower() if isinstance(value, bool) else str(value)
        if cli:
            parts.append(f"--{key}" if value is True else f"--{key} {written}")
        else:
            parts.append(f"{key}: {written}")
    return ", ".join(f"`{part}`" for part in parts), settings


def moe_mapping(experts: int, ep: int, redundant: int = 0) -> dict[str, Any]:
    """The MoE phase of the corrected mapping, in ``MoePhase.to_json`` form."""
    low, high = experts_per_rank(experts + redundant, ep)
    return {"ep": ep, "tp": 1, "experts_per_gpu": low if low == high else [low, high],
            "redundant_experts": redundant}


def rejections_of(deployment: Deployment, kinds: frozenset[str]) -> list[Rejection]:
    return [rejection for rejection in deployment.rejections if rejection.kind in kinds]


def rejection_finding(plan: DeclaredPlan, rejection: Rejection, message: str,
                      at: Sourced[Any] | None = None) -> Finding:
    """A finding at ``at``, else at the first value the engine rejection names (else the plan itself); the
    rejection's other values are related."""
    sources = [source for source in rejection.sources if source is not at]
    if at is None and sources:
        at = sources.pop(0)
    related = [(other, f"{other.spelling or 'value'} = {other.value}") for other in sources]
    return finding(at if at is not None else (plan.file, plan.range), message, related=related)


def quoted(message: str) -> str:
    """An engine message inside a sentence of ours: without its closing full stop."""
    return message[:-1] if message.endswith(".") else message
