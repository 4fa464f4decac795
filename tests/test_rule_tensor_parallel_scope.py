"""PL202 tensor-parallel-scope: TP applied to what it cannot shard in a plan's stages."""

from __future__ import annotations

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range, Severity
from parlint.linter.mapping import Deployment, Stage
from parlint.linter.plan import DeclaredPlan, DeclaredStage, Sourced
from parlint.rules import tensor_parallel_scope as rule

FILE = "plan.yaml"


def _run(*scopes: tuple[str, ...]) -> tuple[DeclaredPlan, list[Finding]]:
    plan = DeclaredPlan("parlint", FILE, Range.of(1, 1, 20, 1))
    plan.settings["tp"] = Sourced(8, FILE, Range.of(5, 19, 5, 20), "decisions[1].degrees.tp")
    plan.stages = [DeclaredStage((index * 40, index * 40 + 40), tuple(range(8)), 8, None, FILE,
                                 Range.of(10 + index, 5, 10 + index, 40), tp_scope=scope)
                   for index, scope in enumerate(scopes)]
    deployment = Deployment(plan, None, 1, [])
    return plan, list(rule.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def test_tp_on_embeddings_and_norms_names_the_stage_and_what_to_write() -> None:
    plan, [found] = _run(("attention", "ffn"), ("attention", "ffn", "embedding", "norm"))
    assert found.range == plan.stages[1].range
    assert found.message.startswith("stage 1 (layers [40, 80), TP 8) applies tensor parallelism to embedding, "
                                    "norm: ")
    assert found.message.endswith("write tp_applies_to: [attention, ffn]")
    assert [item.message for item in found.related] == ["TP 8"]
    assert found.suggestion is not None and found.suggestion.mapping == {"tp_applies_to": ["attention", "ffn"]}


def test_tp_on_the_whole_model_suggests_the_operators() -> None:
    _, [found] = _run(("model",))
    assert "applies tensor parallelism to model:" in found.message
    assert found.message.endswith("write tp_applies_to: [attention, ffn]")


def test_tp_on_attention_and_ffn_only_is_clean() -> None:
    assert _run(("attention", "ffn"), ())[1] == []


def test_tp_group_across_nodes_warns_and_relates_the_node_layout() -> None:
    plan = DeclaredPlan("vllm", FILE, Range.of(1, 1, 9, 1))
    plan.settings["tp"] = Sourced(16, FILE, Range.of(3, 23, 3, 25), "tensor-parallel-size")
    plan.settings["nnodes"] = Sourced(2, FILE, Range.of(4, 9, 4, 10), "nnodes")
    stage = Stage(0, (0, 0), tuple(range(16)), attn_tp=16, ffn_tp=16)
    deployment = Deployment(plan, None, 1, [stage], gpus_per_node=8)
    [found] = rule.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)]))
    assert found.severity == Severity.WARNING and found.range == plan.settings["tp"].range
    assert found.message.startswith("tensor parallel group of 16 GPUs spans 2 nodes of 8 GPUs")
    assert found.message.endswith("keep TP 8 inside a node and use 2 pipeline stages across nodes")
    assert [item.message for item in found.related] == ["nnodes 2"]


def test_sglang_dense_tp_between_one_and_tp_quotes_sglang_at_the_override() -> None:
    from parlint.linter.mapping import Rejection

    plan = DeclaredPlan("sglang", FILE, Range.of(1, 1, 9, 1))
    plan.settings["tp"] = Sourced(8, FILE, Range.of(3, 10, 3, 11), "tp-size")
    plan.settings["moe_dense_tp"] = Sourced(4, FILE, Range.of(6, 20, 6, 21), "moe-dense-tp-size")
    message = "moe_dense_tp_size only supports None, 1, or tp_size currently"
    stage = Stage(0, (0, 0), tuple(range(8)), attn_tp=8, ffn_tp=4)
    deployment = Deployment(plan, None, 1, [stage], rejections=[
        Rejection("sglang-moe-dense-tp", message, (plan.settings["moe_dense_tp"], plan.settings["tp"]))])
    [found] = rule.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)]))
    assert found.severity is None and found.range == plan.settings["moe_dense_tp"].range
    assert found.message.startswith(f"dense FFN tensor parallel size 4 with tensor parallel size 8: SGLang fails "
                                    f"with \"{message}\"")
    assert found.message.endswith("write 1 or 8, or remove it")
    assert [item.message for item in found.related] == ["tp-size 8"]
    assert found.suggestion is not None and found.suggestion.mapping == {"moe_dense_tp": 1}
