"""Engine adapters: a loaded file -> the declared plans it holds, each value with its source range.

The dialect is detected from content, never from the file name: a ``kind: ParallelPlan`` document, a
DeepSpeed inference JSON (``tensor_parallel.tp_size``, ``mp_size``, ``moe.ep_size`` ...), a
DeepSpeed-MII config (``model_name_or_path``, ``tensor_parallel``, ``replica_num``), or a flat vLLM,
SGLang or TensorRT-LLM config, told apart by which engine's table recognises the keys. A document
that sets no parallelism is no plan (CI workflows, manifests, ``package.json``...).

Each engine's flags live in :mod:`parlint.linter.adapters.flags`; launch-command adapters reuse
:func:`parlint.linter.adapters.flags.parse_args`.

Besides the canonical settings listed in :mod:`parlint.linter.plan`, adapters record: ``dp_rank``
(vLLM ``data_parallel_rank``), ``moe_experts`` (DeepSpeed ``moe.moe_experts``), ``moe_cluster`` and
``cp_type`` (TensorRT-LLM ``moe_cluster_parallel_size``, ``cp_config.cp_type``), ``gpus_per_node``
(TensorRT-LLM, also copied to ``DeclaredPlan.gpus_per_node``) and ``device_map`` (MII).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from parlint.linter.loader import Document, LoadedFile
from parlint.linter.plan import DeclaredPlan

if TYPE_CHECKING:
    from parlint.linter.adapters.common import Resolution

PARALLEL_SETTINGS = frozenset((
    "tp", "pp", "dp", "dp_local", "attn_dp", "enable_attention_dp", "enable_ep", "ep", "moe_tp", "moe_dp",
    "moe_dense_tp", "cp", "dcp", "redundant_experts", "eplb", "pp_partition", "a2a_backend", "replicas",
))
"""Canonical settings that make a document a parallelism config."""

_RELEVANT_MARKERS = (
    "parallel", "tp_size", "tp-size", "mp_size", "ep_size", "ep-size", "dp-size", "dp_size", "attn-dp",
    "ParallelPlan", "replica_num", "model_name_or_path", "PP_LAYER_PARTITION", "pp_partition", "-tp",
    "enable-dp-attention", "moe-a2a-backend",
)
_SHORT_KEY = re.compile(r"[td]p[\"']?[ \t]*:")
_KEY_START = frozenset(" \t\r\n{,\"'_")

_ENGINE_HINTS = {
    "vllm": ("vllm",),
    "sglang": ("sglang",),
    "trtllm": ("trtllm", "tensorrt", "extra_llm_api_options"),
}

_DEEPSPEED_INFERENCE_KEYS = frozenset((
    "mp_size", "replace_with_kernel_inject", "kernel_inject", "injection_policy", "training_mp_size",
    "enable_cuda_graph", "ep_size", "moe_experts",
))
_DEEPSPEED_TRAINING_KEYS = frozenset((
    "train_batch_size", "train_micro_batch_size_per_gpu", "zero_optimization", "optimizer",
    "gradient_accumulation_steps",
))


def looks_relevant(text: str) -> bool:
    """Cheap pre-filter on raw text: can this file hold a parallelism config at all?"""
    return any(marker in text for marker in _RELEVANT_MARKERS) or any(
        # A ``tp:`` / ``dp:`` key (ParallelPlan degrees), not the ``tp:`` inside every ``http://`` URL.
        match.start() == 0 or text[match.start() - 1] in _KEY_START for match in _SHORT_KEY.finditer(text)
    )


def adapt(loaded: LoadedFile) -> list[DeclaredPlan]:
    """The declared plans of every document in ``loaded`` (``[]`` when none is a parallelism config)."""
    plans: list[DeclaredPlan] = []
    hinted = hinted_engines(loaded.text)  # once per file: a file can hold thousands of documents
    for document in loaded.documents:
        adapter = detect(document, hinted=hinted)
        if adapter is not None:
            plans.append(adapter(loaded.path, document))
    return plans


Adapter = Callable[[str, Document], DeclaredPlan]


def hinted_engines(text: str) -> frozenset[str]:
    """The engines a file's text names anywhere (e.g. a ``# vllm serve --config`` comment)."""
    lowered = text.lower()
    return frozenset(engine for engine, words in _ENGINE_HINTS.items() if any(word in lowered for word in words))


def detect(document: Document, text: str = "", *, hinted: frozenset[str] | None = None) -> Adapter | None:
    """The adapter for ``document``'s dialect, or None when it holds no parallelism config. The file's
    ``text`` (or its :func:`hinted_engines`) breaks ties between engines."""
    data = document.data
    if not isinstance(data, dict):
        return None
    if data.get("kind") == "ParallelPlan":
        from parlint.linter.adapters.parlint_plan import adapt_parlint_plan

        return adapt_parlint_plan
    if _is_mii(data):
        from parlint.linter.adapters.deepspeed import adapt_mii

        return adapt_mii
    if _is_deepspeed_inference(data):
        from parlint.linter.adapters.deepspeed import adapt_deepspeed

        return adapt_deepspeed
    return _flat_engine(data, hinted if hinted is not None else hinted_engines(text))


def _is_mii(data: dict[Any, Any]) -> bool:
    inner = data.get("model_config")
    source = inner if isinstance(inner, dict) else data
    if "replica_num" in source:
        return True
    return "model_name_or_path" in source and ("tensor_parallel" in source or "device_map" in source)


def _is_deepspeed_inference(data: dict[Any, Any]) -> bool:
    tensor_parallel = data.get("tensor_parallel", data.get("tp"))
    moe = data.get("moe")
    inference = (
        bool(_DEEPSPEED_INFERENCE_KEYS & set(data))
        or (isinstance(tensor_parallel, dict) and "tp_size" in tensor_parallel)
        or (isinstance(moe, dict) and bool({"ep_size", "moe_experts", "num_experts"} & set(moe)))
    )
    if not inference:
        return False
    return not (_DEEPSPEED_TRAINING_KEYS & set(data)) or "mp_size" in data or "replace_with_kernel_inject" in data


def _flat_engine(data: dict[Any, Any], hinted: frozenset[str]) -> Adapter | None:
    from parlint.linter.adapters import sglang, trtllm, vllm

    candidates: list[tuple[float, int, Adapter]] = []
    engines: tuple[tuple[str, Callable[[str], Resolution], Adapter], ...] = (
        ("vllm", vllm.resolve_key, vllm.adapt_vllm),
        ("sglang", sglang.detection_key, sglang.adapt_sglang),
        ("trtllm", trtllm.resolve_key, trtllm.adapt_trtllm),
    )
    for order, (engine, resolve, adapter) in enumerate(engines):
        recognised = parallel = 0
        for key in data:
            resolution = resolve(str(key))
            flag = resolution.flag
            if flag is None or resolution.weak:  # e.g. DeepSpeed's `tensor_parallel`, a vLLM option prefix
                continue
            recognised += 1
            parallel += flag.setting in PARALLEL_SETTINGS or any(
                setting in PARALLEL_SETTINGS for _, setting, _ in flag.subsettings)
        if parallel:
            hint = 0.5 if engine in hinted else 0.0
            candidates.append((recognised + hint, -order, adapter))
    if not candidates:
        return None
    return max(candidates, key=lambda item: (item[0], item[1]))[2]
