"""Which operator-level sharding degrees an engine accepts for a model: one place for the divisibility
rules that both the rules and the planner use.

Each check names the engine source it mirrors (``shared/reference/frameworks.md``):

- heads: vLLM ``ModelConfig.verify_with_parallel_config``; SGLang/vLLM ``QKVParallelLinear``;
  TensorRT-LLM ``Attention.__init__``; Megatron ``TransformerConfig.__post_init__``; DeepSpeed-MII (FastGen)
  ``get_local_heads``, whose KV-group rules imply heads % TP == 0 (it states no heads % TP check of its own).
- KV heads: ``QKVParallelLinear`` (vLLM, SGLang on the attention-TP group), Megatron
  ``num_query_groups``, FastGen ``get_local_heads``: if TP >= KV then TP % KV == 0 (each KV head is
  copied TP / KV times), else KV % TP == 0. TensorRT-LLM uses ceil division and replicates instead.
- dense FFN: ``MergedColumnParallelLinear`` (vLLM, SGLang): intermediate % TP == 0.
- vocabulary: vLLM ``VocabParallelEmbedding``: ceil(V / 64) * 64 % TP == 0 (other engines pad by TP).
- block quantization: vLLM ``validate_fp8_block_shape``: each shard of a block-quantized linear layer
  is a whole number of blocks; group quantization: ``verify_group_size_divides_partition``.
"""

from __future__ import annotations

from dataclasses import dataclass

from parlint.linter.models.structure import ModelStructure

HEADS_ENGINES = frozenset({"vllm", "sglang", "trtllm", "mii", "megatron"})
KV_ENGINES = frozenset({"vllm", "sglang", "mii", "megatron"})
FFN_ENGINES = frozenset({"vllm", "sglang"})
VOCAB_PADDING = {"vllm": 64}
BLOCK_ENGINES = frozenset({"vllm"})


@dataclass(frozen=True)
class ShardProblem:
    """One way a TP degree fails a model: ``what`` is a stable tag, ``message`` states the numbers."""

    what: str  # "heads", "kv-heads", "ffn", "vocab", "block", "group"
    message: str


def padded_vocab(vocab: int, padding: int) -> int:
    return -(-vocab // padding) * padding


def attention_problems(model: ModelStructure, engine: str, attn_tp: int) -> list[ShardProblem]:
    problems: list[ShardProblem] = []
    heads, kv = model.attention.heads, model.attention.kv_heads_for_tp
    if engine in HEADS_ENGINES and heads % attn_tp:
        problems.append(ShardProblem(
            "heads", f"{heads} attention heads are not divisible by tensor parallel size {attn_tp}"))
    if engine in KV_ENGINES and model.attention.kind != "mla":
        if attn_tp >= kv and attn_tp % kv:
            problems.append(ShardProblem(
                "kv-heads",
                f"tensor parallel size {attn_tp} is not a multiple of the {kv} KV heads "
                f"(each KV head must be copied a whole number of times)"))
        elif attn_tp < kv and kv % attn_tp:
            problems.append(ShardProblem(
                "kv-heads", f"{kv} KV heads are not divisible by tensor parallel size {attn_tp}"))
    return problems


def _block_problems(
    model: ModelStructure, width: int, tp: int, what: str, *, groups: bool = True
) -> list[ShardProblem]:
    """Block quantization (``weight_block_size``) must tile every shard; group quantization only where the
    engine documents the check (vLLM ``verify_group_size_divides_partition`` on linear layers), not for
    experts, whose MoE kernels pad their shards (e.g. mxfp4)."""
    quantization = model.quantization
    if quantization is None or tp == 1:
        return []
    problems: list[ShardProblem] = []
    shard = width // tp
    if quantization.weight_block_size:
        block_n, block_k = quantization.weight_block_size
        for block in sorted({block_n, block_k}):
            if shard % block:
                problems.append(ShardProblem(
                    "block",
                    f"{what} {width} / TP {tp} = {shard} per GPU is not a whole number of "
                    f"{quantization.method} {block}-wide weight blocks"))
                break
    elif groups and quantization.group_size and shard % quantization.group_size:
        problems.append(ShardProblem(
            "group",
            f"{what} {width} / TP {tp} = {shard} per GPU is not a whole number of "
            f"{quantization.method} groups of {quantization.group_size}"))
    return problems


def dense_problems(model: ModelStructure, engine: str, ffn_tp: int) -> list[ShardProblem]:
    has_dense_ffn = model.moe is None or bool(model.moe.dense_layers)
    if not has_dense_ffn or engine not in FFN_ENGINES or not model.intermediate_size:
        return []
    width = model.intermediate_size
    if width % ffn_tp:
        return [ShardProblem("ffn", f"dense FFN width {width} is not divisible by tensor parallel size {ffn_tp}")]
    return _block_problems(model, width, ffn_tp, "dense FFN width") if engine in BLOCK_ENGINES else []


def vocab_problems(model: ModelStructure, engine: str, tp: int) -> list[ShardProblem]:
    padding = VOCAB_PADDING.get(engine)
    if padding is None:
        return []
    padded = padded_vocab(model.vocab_size, padding)
    if padded % tp:
        return [ShardProblem(
            "vocab", f"vocabulary {model.vocab_size} padded to {padded} is not divisible by tensor parallel size {tp}")]
    return []


def tp_problems(model: ModelStructure, engine: str, tp: int, attn_tp: int | None = None) -> list[ShardProblem]:
    """Every reason ``engine`` refuses ``tp`` for ``model`` (attention may use a smaller group)."""
    return (
        attention_problems(model, engine, attn_tp or tp)
        + dense_problems(model, engine, tp)
        + vocab_problems(model, engine, tp)
    )


def valid_tp_sizes(model: ModelStructure, engine: str, limit: int) -> list[int]:
    return [size for size in range(1, limit + 1) if not tp_problems(model, engine, size)]


# Engines that refuse an expert slice that is not a whole number of columns or quantization blocks:
# vLLM ``FusedMoEConfig.__post_init__`` and ``validate_fp8_block_shape_moe``; SGLang ``FusedMoE.__init__``
# and ``check_quantized_moe_compatibility``. TensorRT-LLM divides with ``//`` and asserts nothing.
EXPERT_SHARD_ENGINES = frozenset({"vllm", "sglang"})


def expert_shard_problems(model: ModelStructure, expert_tp: int) -> list[ShardProblem]:
    """Why cutting every routed expert into ``expert_tp`` slices misfits the expert FFN width or its
    quantization blocks; engine-neutral (see ``EXPERT_SHARD_ENGINES`` for the engines that refuse it).

    Every block dimension is checked, as vLLM ``validate_fp8_block_shape_moe`` does (block_n for gate/up,
    block_k for down); SGLang ``check_quantized_moe_compatibility`` checks block_n only, which is the same for
    the square 128 x 128 blocks of the FP8 checkpoints in use."""
    if model.moe is None or expert_tp <= 1 or not model.moe.moe_intermediate_size:
        return []
    width = model.moe.moe_intermediate_size
    if width % expert_tp:
        return [ShardProblem(
            "ffn", f"expert FFN width {width} is not divisible by expert tensor parallel size {expert_tp}")]
    return _block_problems(model, width, expert_tp, "expert FFN width", groups=False)


def experts_per_rank(experts: int, ep: int) -> tuple[int, int]:
    """(fewest, most) experts one EP rank holds: the first ``experts % ep`` ranks hold one more (vLLM
    ``determine_expert_map``; TensorRT-LLM backends that opt into non-divisible EP)."""
    base, remainder = divmod(experts, ep)
    return base, base + (1 if remainder else 0)


def uneven_experts_allowed(engine: str, eplb: bool) -> bool:
    """Whether ``engine`` accepts (routed + redundant) experts that EP does not divide.

    vLLM spreads the remainder unless EPLB is on (``FusedMoEFactory``: "EPLB currently only supports even
    distribution of experts across ranks."); SGLang (``FusedMoE.__init__``), DeepSpeed (``MoE.__init__``) and
    Megatron require an even split, as do TensorRT-LLM's MoE backends that do not set
    ``_supports_non_divisible_ep`` (``_init_load_balancer``). Which TensorRT-LLM backend a config gets is not
    known from the config, so parlint treats TensorRT-LLM as requiring an even split (its own judgement).
    """
    return engine == "vllm" and not eplb


def valid_ep_sizes(experts: int, limit: int) -> list[int]:
    """EP sizes up to ``limit`` that give every rank the same number of experts (none exceeds ``experts``,
    so a hostile ``ep: 10**12`` costs no more than the model's expert count)."""
    return [size for size in range(1, min(limit, experts) + 1) if experts % size == 0]
