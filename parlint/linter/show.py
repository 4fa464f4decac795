"""``parlint show``: print each deployment's structural mapping as a text tree or as JSON.

The text tree reads top-down like the structural model: deployment -> replicas -> pipeline stages ->
layers, GPUs, the attention phase (TP x DP x CP), the dense FFN and the MoE phase (EP x expert TP,
experts per GPU), then the totals and any reason the engine would refuse the plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from parlint.linter.mapping import Deployment, Stage
from parlint.linter.values import compact_ranges

FORMATS = ("text", "json")


def render_show(deployments: Sequence[Deployment], fmt: str) -> str:
    """Render ``deployments`` as ``fmt`` (``"text"`` or ``"json"``)."""
    if fmt == "json":
        return json.dumps({"deployments": [_json(deployment) for deployment in deployments]}, indent=2)
    if not deployments:
        return "no deployment: the file holds no parallelism config parlint reads"
    return "\n\n".join(_text(deployment) for deployment in deployments)


def _json(deployment: Deployment) -> dict[str, Any]:
    data = deployment.to_json()
    data["gpus_per_node"] = deployment.gpus_per_node
    data["dialect"] = deployment.plan.dialect
    return data


def gpu_ranges(gpus: Sequence[int]) -> str:
    """``0-7, 16-23``: consecutive ids folded into ranges."""
    return compact_ranges(gpus, empty="none declared")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _text(deployment: Deployment) -> str:
    plan = deployment.plan
    start = plan.range.start
    model = plan.model.value if plan.model else "model not named"
    resolved = "" if deployment.model is not None or plan.model is None else " (structure unknown: layers not split)"
    lines = [f"{plan.file}:{start.line}:{start.column}: {plan.engine} ({plan.dialect or 'config'}) {model}{resolved}"]
    per_replica = deployment.gpus_per_replica
    total = (f"GPUs: {deployment.gpus_total} in all = {_plural(deployment.replicas, 'replica')} x "
             f"{per_replica} per replica")
    if deployment.gpus_per_node:
        nodes = -(-deployment.gpus_total // deployment.gpus_per_node)
        total += f" ({_plural(nodes, 'node')} of {deployment.gpus_per_node} GPUs)"
    lines.append(f"  {total}")
    replica_note = "" if deployment.replicas == 1 else f" (x{deployment.replicas}, identical copies)"
    lines.append(f"  replica 0{replica_note}")
    for stage in deployment.stages:
        lines.extend(_stage(stage))
    if deployment.degree_product and deployment.degree_product != deployment.gpus_total:
        lines.append(f"  note: the product of all degrees is {deployment.degree_product}; degrees inside one stage "
                     f"share its GPUs, so the structure needs {deployment.gpus_total}")
    if deployment.rejections:
        lines.append("  the engine would refuse this plan:")
        lines.extend(f"    - {item.kind}: {item.message}" for item in deployment.rejections)
    return "\n".join(lines)


def _stage(stage: Stage) -> list[str]:
    first, last = stage.layers
    layers = f"layers [{first}, {last}) ({_plural(stage.num_layers, 'layer')})" if last else "layers unknown"
    lines = [f"    stage {stage.index}: {layers}, GPUs {gpu_ranges(stage.gpus)} ({stage.size})"]
    attention = f"TP {stage.attn_tp} x DP {stage.attn_dp} x CP {stage.cp}"
    if stage.dcp > 1:
        attention += f", decode CP {stage.dcp} on the TP ranks"
    lines.append(f"      attention: {attention}")
    lines.append(f"      dense FFN: TP {stage.ffn_tp}")
    moe = stage.moe
    if moe is not None:
        low, high = moe.experts_per_gpu
        if high == 0:
            experts = "experts per GPU unknown"
        elif moe.expert_tp > 1 and moe.ep == 1:
            experts = f"every GPU holds a 1/{moe.expert_tp} slice of all {high} experts"
        else:
            experts = f"{low if low == high else f'{low}-{high}'} experts per GPU"
        if moe.redundant_experts:
            experts += f" (incl. {moe.redundant_experts} redundant)"
        lines.append(f"      MoE: EP {moe.ep} x expert TP {moe.expert_tp}, {experts}")
    return lines
