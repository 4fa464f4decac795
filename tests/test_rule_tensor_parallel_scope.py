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
    assert found.message.endswith("keep TP 8 inside a node and use 2 pipeline stages across nodes (PP 2 x TP 8 "
                                  "on the same 16 GPUs)")
    assert [item.message for item in found.related] == ["nnodes 2"]
    assert found.suggestion is not None and found.suggestion.mapping["pp"] == 2
    assert found.suggestion.mapping["tp"] == 8


def _span_over_small_nodes(gpu: str | None) -> Finding:
    """Llama-3.1-405B as TP 8 x PP 2 on nodes of 4 GPUs (the Slurm fixture's mapping)."""
    from parlint.linter.models.catalog import lookup
    from parlint.linter.models.hardware import find_gpu

    hit = lookup("meta-llama/Llama-3.1-405B-Instruct")
    assert hit is not None
    model = hit.structure
    plan = DeclaredPlan("vllm", FILE, Range.of(1, 1, 9, 1))
    plan.settings["tp"] = Sourced(8, FILE, Range.of(3, 23, 3, 24), "--tensor-parallel-size")
    plan.settings["pp"] = Sourced(2, FILE, Range.of(4, 25, 4, 26), "--pipeline-parallel-size")
    stages = [Stage(index, (index * 63, index * 63 + 63), tuple(range(index * 8, index * 8 + 8)), attn_tp=8,
                    ffn_tp=8) for index in range(2)]
    deployment = Deployment(plan, model, 1, stages, gpus_per_node=4)
    facts = DeploymentFacts(deployment, gpu=find_gpu(gpu) if gpu else None)
    [found] = [item for item in rule.check(LintContext(FILE, deployments=[facts])) if item.severity]
    return found


def test_cross_node_message_and_suggestion_name_the_same_mapping_on_the_same_gpus() -> None:
    found = _span_over_small_nodes(None)
    assert "keep TP 4 inside a node and use 4 pipeline stages across nodes (PP 4 x TP 4 on the same 16 GPUs)" in (
        found.message)
    assert found.suggestion is not None
    assert found.suggestion.summary == "PP 4 x TP 4 on the same 16 GPUs: 4 stages of 4 GPUs, TP inside a node"
    mapping = found.suggestion.mapping
    assert (mapping["pp"], mapping["tp"], mapping["gpus_total"]) == (4, 4, 16)
    assert [stage["gpus"] for stage in mapping["stages"]] == [4, 4, 4, 4]
    assert mapping["stages"][0]["layers"][0] == 0 and mapping["stages"][-1]["layers"][1] == 126


def test_cross_node_suggestion_says_why_the_planner_picks_fewer_gpus() -> None:
    found = _span_over_small_nodes("H100")
    assert found.suggestion is not None
    summary = found.suggestion.summary
    assert summary.startswith("PP 4 x TP 4 on the same 16 GPUs: 4 stages of 4 GPUs, TP inside a node; the planner "
                              "would choose PP 3, 4 GPUs per stage")
    assert "because it takes as few pipeline stages as hold the model: PP 3: one stage cannot hold" in summary
    assert found.suggestion.mapping["pp"] == 4 and found.suggestion.mapping["planner"]["pp"] == 3


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
