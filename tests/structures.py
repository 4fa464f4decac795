"""Model structures for adapter/derive/show tests, built directly (independent of the model catalog).

Numbers are the models' published ``config.json`` values.
"""

from __future__ import annotations

from parlint.linter.models.structure import Attention, ModelStructure, Moe, Quantization

LLAMA_3_1_70B = ModelStructure(
    id="meta-llama/Llama-3.1-70B-Instruct",
    architecture="LlamaForCausalLM",
    num_layers=80,
    hidden_size=8192,
    vocab_size=128256,
    attention=Attention(kind="gqa", heads=64, kv_heads=8, head_dim=128),
    intermediate_size=28672,
    max_position_embeddings=131072,
)

LLAMA_3_1_8B = ModelStructure(
    id="meta-llama/Llama-3.1-8B-Instruct",
    architecture="LlamaForCausalLM",
    num_layers=32,
    hidden_size=4096,
    vocab_size=128256,
    attention=Attention(kind="gqa", heads=32, kv_heads=8, head_dim=128),
    intermediate_size=14336,
    max_position_embeddings=131072,
)

DEEPSEEK_V3 = ModelStructure(
    id="deepseek-ai/DeepSeek-V3",
    architecture="DeepseekV3ForCausalLM",
    num_layers=61,
    hidden_size=7168,
    vocab_size=129280,
    attention=Attention(kind="mla", heads=128, kv_heads=128, head_dim=192, kv_lora_rank=512, q_lora_rank=1536,
                        qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128),
    intermediate_size=18432,
    moe=Moe(experts=256, experts_per_token=8, moe_intermediate_size=2048, shared_experts=1,
            shared_intermediate_size=2048, moe_layers=tuple(range(3, 61)), dense_layers=(0, 1, 2)),
    max_position_embeddings=163840,
    mtp_layers=1,
    dtype="bfloat16",
    quantization=Quantization(method="fp8", bits=8, weight_block_size=(128, 128)),
)

MIXTRAL_8X7B = ModelStructure(
    id="mistralai/Mixtral-8x7B-Instruct-v0.1",
    architecture="MixtralForCausalLM",
    num_layers=32,
    hidden_size=4096,
    vocab_size=32000,
    attention=Attention(kind="gqa", heads=32, kv_heads=8, head_dim=128),
    intermediate_size=14336,
    moe=Moe(experts=8, experts_per_token=2, moe_intermediate_size=14336, moe_layers=tuple(range(32))),
    max_position_embeddings=32768,
)

BY_ID = {model.id: model for model in (LLAMA_3_1_70B, LLAMA_3_1_8B, DEEPSEEK_V3, MIXTRAL_8X7B)}
