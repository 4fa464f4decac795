"""The engine facts parlint's flag tables state, pinned against shared/reference/frameworks.md.

Each row below is copied from the section of frameworks.md named in its comment. A change to
parlint/linter/adapters/flags.py that contradicts the reference fails here; a change to the reference
means updating the row and the table together.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from parlint.linter.adapters import adapt
from parlint.linter.adapters.flags import (
    BOOL,
    DEEPSPEED,
    INT,
    INT_LIST,
    MII,
    SGLANG,
    SGLANG_A2A_BACKENDS,
    SGLANG_EP_SPANNING_BACKENDS,
    STORE_TRUE,
    TRTLLM,
    VLLM,
    VLLM_A2A_FALLBACK,
    EngineFlags,
    parse_args,
)
from parlint.linter.loader import load_text
from parlint.linter.plan import DeclaredPlan
from tests.test_adapters_vllm import tokens

# (table, config key, canonical setting, kind, command-line spellings long form first, minimum)
FLAG_FACTS: list[tuple[EngineFlags, str, str | None, str, tuple[str, ...], int | None]] = [
    # frameworks.md §1.1: vLLM EngineArgs fields, `--` + dashes, with the short aliases of the table.
    (VLLM, "tensor_parallel_size", "tp", INT, ("--tensor-parallel-size", "-tp"), 1),
    (VLLM, "pipeline_parallel_size", "pp", INT, ("--pipeline-parallel-size", "-pp"), 1),
    (VLLM, "data_parallel_size", "dp", INT, ("--data-parallel-size", "-dp"), 1),
    # 0 is the API-server-only front-end of a multi-node DP deployment (vLLM docs, data_parallel_deployment.md).
    (VLLM, "data_parallel_size_local", "dp_local", INT, ("--data-parallel-size-local", "-dpl"), 0),
    (VLLM, "data_parallel_rank", "dp_rank", INT, ("--data-parallel-rank", "-dpn"), 0),
    (VLLM, "data_parallel_start_rank", None, INT, ("--data-parallel-start-rank", "-dpr"), 0),
    (VLLM, "data_parallel_address", None, "str", ("--data-parallel-address", "-dpa"), None),
    (VLLM, "data_parallel_rpc_port", None, INT, ("--data-parallel-rpc-port", "-dpp"), None),
    (VLLM, "data_parallel_backend", None, "str", ("--data-parallel-backend", "-dpb"), None),
    (VLLM, "data_parallel_hybrid_lb", None, BOOL, ("--data-parallel-hybrid-lb", "-dph"), None),
    (VLLM, "data_parallel_external_lb", None, BOOL, ("--data-parallel-external-lb", "-dpe"), None),
    (VLLM, "data_parallel_multi_port_external_lb", None, STORE_TRUE,
     ("--data-parallel-multi-port-external-lb", "-dpm"), None),
    (VLLM, "enable_expert_parallel", "enable_ep", BOOL, ("--enable-expert-parallel", "-ep"), None),
    (VLLM, "enable_eplb", "eplb", BOOL, ("--enable-eplb",), None),
    (VLLM, "decode_context_parallel_size", "dcp", INT, ("--decode-context-parallel-size", "-dcp"), 1),
    (VLLM, "prefill_context_parallel_size", "cp", INT, ("--prefill-context-parallel-size", "-pcp"), 1),
    (VLLM, "nnodes", "nnodes", INT, ("--nnodes", "-n"), 1),
    (VLLM, "node_rank", "node_rank", INT, ("--node-rank", "-r"), 0),
    (VLLM, "api_server_count", None, INT, ("--api-server-count", "-asc"), None),
    (VLLM, "headless", None, STORE_TRUE, ("--headless",), None),
    # frameworks.md §2.1: SGLang dashed flags and their aliases; `bool` fields are store_true.
    (SGLANG, "tp-size", "tp", INT, ("--tp-size", "--tensor-parallel-size"), 1),
    (SGLANG, "pp-size", "pp", INT, ("--pp-size", "--pipeline-parallel-size"), 1),
    (SGLANG, "dp-size", "dp", INT, ("--dp-size", "--data-parallel-size"), 1),
    (SGLANG, "attn-dp-size", "attn_dp", INT, ("--attn-dp-size", "--attention-data-parallel-size"), 1),
    (SGLANG, "enable-dp-attention", "enable_attention_dp", STORE_TRUE, ("--enable-dp-attention",), None),
    (SGLANG, "ep-size", "ep", INT, ("--ep-size", "--expert-parallel-size", "--ep"), 1),
    (SGLANG, "moe-dp-size", "moe_dp", INT, ("--moe-dp-size", "--moe-data-parallel-size"), 1),
    (SGLANG, "moe-dense-tp-size", "moe_dense_tp", INT, ("--moe-dense-tp-size",), 1),
    (SGLANG, "ep-num-redundant-experts", "redundant_experts", INT, ("--ep-num-redundant-experts",), 0),
    (SGLANG, "enable-eplb", "eplb", STORE_TRUE, ("--enable-eplb",), None),
    (SGLANG, "dcp-size", "dcp", INT, ("--dcp-size", "--decode-context-parallel-size"), 1),
    (SGLANG, "attn-cp-size", "cp", INT, ("--attn-cp-size", "--attention-context-parallel-size"), 1),
    (SGLANG, "enable-dp-lm-head", None, STORE_TRUE, ("--enable-dp-lm-head",), None),
    (SGLANG, "nnodes", "nnodes", INT, ("--nnodes",), 1),
    (SGLANG, "node-rank", "node_rank", INT, ("--node-rank",), 0),
    (SGLANG, "dist-init-addr", None, "str", ("--dist-init-addr", "--nccl-init-addr"), None),
    # frameworks.md §4.1: BaseLlmArgs field names; trtllm-serve click options, underscores only.
    (TRTLLM, "tensor_parallel_size", "tp", INT, ("--tensor_parallel_size", "--tp_size"), 1),
    (TRTLLM, "pipeline_parallel_size", "pp", INT, ("--pipeline_parallel_size", "--pp_size"), 1),
    (TRTLLM, "context_parallel_size", "cp", INT, ("--context_parallel_size", "--cp_size"), 1),
    (TRTLLM, "moe_expert_parallel_size", "ep", INT, ("--moe_expert_parallel_size", "--ep_size"), 1),
    (TRTLLM, "moe_cluster_parallel_size", "moe_cluster", INT,
     ("--moe_cluster_parallel_size", "--cluster_size"), 1),
    (TRTLLM, "gpus_per_node", "gpus_per_node", INT, ("--gpus_per_node",), 1),
    # §4.1: "YAML only" (no trtllm-serve flag).
    (TRTLLM, "moe_tensor_parallel_size", "moe_tp", INT, (), 1),
    (TRTLLM, "enable_attention_dp", "enable_attention_dp", BOOL, (), None),
    (TRTLLM, "enable_lm_head_tp_in_adp", None, BOOL, (), None),
    (TRTLLM, "pp_partition", "pp_partition", INT_LIST, (), None),
    # frameworks.md §3.1: DeepSpeedInferenceConfig key paths (config only).
    (DEEPSPEED, "tensor_parallel.tp_size", "tp", INT, (), 1),
    (DEEPSPEED, "moe.ep_size", "ep", INT, (), 1),
    (DEEPSPEED, "moe.moe_experts", "moe_experts", INT_LIST, (), None),
    # §3.1: MII ModelConfig fields; the servers take the dashed `--tensor-parallel` / `--replica-num`.
    (MII, "tensor_parallel", "tp", INT, ("--tensor-parallel",), 1),
    (MII, "replica_num", "replicas", INT, ("--replica-num",), 1),  # Field(1, gt=0)
]


@pytest.mark.parametrize(("table", "key", "setting", "kind", "cli", "minimum"), FLAG_FACTS,
                         ids=[f"{row[0].engine}:{row[1]}" for row in FLAG_FACTS])
def test_flag_table_matches_the_reference(table: EngineFlags, key: str, setting: str | None, kind: str,
                                          cli: tuple[str, ...], minimum: int | None) -> None:
    flag = table.by_key[key]
    assert (flag.key, flag.setting, flag.kind, flag.cli, flag.minimum) == (key, setting, kind, cli, minimum)
    for spelling in cli:
        assert table.cli_flag(spelling) is flag
    if not cli:
        assert table.cli_flag("--" + key) is None, "a config-only key must not parse as a command-line option"


# (table, key) -> default the engine uses when the key is absent. parlint reads absence as these defaults
# (plan.get(...) is None); the nullable column says whether an explicit null/None is a valid value.
NULLABLE_FACTS = [
    (VLLM, "data_parallel_size_local", True),  # §1.1: "int or None", resolved at startup (§1.3)
    (VLLM, "data_parallel_rank", True),
    (VLLM, "distributed_executor_backend", True),  # None (auto)
    (VLLM, "tensor_parallel_size", False),
    (SGLANG, "moe-dense-tp-size", True),  # §2.1: int or None
    (SGLANG, "tp-size", False),
    (TRTLLM, "moe_expert_parallel_size", True),  # §4.1: Optional[int], None -> auto
    (TRTLLM, "moe_tensor_parallel_size", True),
    (TRTLLM, "moe_cluster_parallel_size", True),
    (TRTLLM, "pp_partition", True),
    (TRTLLM, "tensor_parallel_size", False),
]


@pytest.mark.parametrize(("table", "key", "nullable"), NULLABLE_FACTS,
                         ids=[f"{row[0].engine}:{row[1]}" for row in NULLABLE_FACTS])
def test_which_keys_take_null(table: EngineFlags, key: str, nullable: bool) -> None:
    assert table.by_key[key].nullable is nullable


def test_choices_and_backend_sets() -> None:
    # §1.1: vLLM all2all_backend choices; pplx and naive still parse but fall back; passthrough is gone.
    assert set(VLLM.by_key["all2all_backend"].choices) == {
        "allgather_reducescatter", "deepep_high_throughput", "deepep_low_latency", "deepep_v2",
        "mori_high_throughput", "mori_low_latency", "moonep", "nixl_ep", "flashinfer_all2allv",
        "flashinfer_nvlink_two_sided", "flashinfer_nvlink_one_sided", "pplx", "naive"}
    assert set(VLLM_A2A_FALLBACK) == {"pplx", "naive"}
    assert VLLM.by_key["data_parallel_backend"].choices == ("mp", "ray")
    assert VLLM.by_key["expert_placement_strategy"].choices == ("linear", "round_robin")
    # §2.1 / §2.3: SGLang --moe-a2a-backend choices and the backends that force ep_size = tp_size.
    assert set(SGLANG_A2A_BACKENDS) == {
        "none", "deepep", "mooncake", "nixl", "mori", "ascend_fuseep", "flashinfer", "megamoe", "deepep_v2",
        "ascend_tp", "pplx", "flashinfer_megamoe"}
    spanning = {"megamoe", "deepep", "deepep_v2", "mooncake", "nixl", "ascend_fuseep", "flashinfer",
                "flashinfer_megamoe", "mori", "pplx"}
    assert set(SGLANG_EP_SPANNING_BACKENDS) == spanning
    assert DEEPSPEED.by_key["moe.type"].choices == ("standard", "residual")


def test_aliases_deprecations_and_removals() -> None:
    # §3.1: DeepSpeed aliases, and deprecated keys with their migration targets (field metadata new_param).
    assert DEEPSPEED.by_key["tp.tp_size"] is DEEPSPEED.by_key["tensor_parallel.tp_size"]
    assert DEEPSPEED.by_key["moe.num_experts"] is DEEPSPEED.by_key["moe.moe_experts"]
    assert DEEPSPEED.by_key["kernel_inject"] is DEEPSPEED.by_key["replace_with_kernel_inject"]
    assert DEEPSPEED.by_key["moe.expert_group"] is DEEPSPEED.by_key["moe.ep_group"]
    migrations = {key: DEEPSPEED.by_key[key].deprecated for key in ("mp_size", "ep_size", "moe_experts", "moe_type",
                                                                   "mpu")}
    assert migrations == {"mp_size": "tensor_parallel.tp_size", "ep_size": "moe.ep_size",
                          "moe_experts": "moe.moe_experts", "moe_type": "moe.type", "mpu": "tensor_parallel.mpu"}
    assert (DEEPSPEED.by_key["mp_size"].setting, DEEPSPEED.by_key["ep_size"].setting) == ("tp", "ep")
    # Not in frameworks.md; deepspeed/inference/config.py: top-level ep_group / ep_mp_group moved under moe.
    assert DEEPSPEED.by_key["expert_group"].deprecated == "moe.ep_group"
    assert DEEPSPEED.by_key["expert_mp_group"].deprecated == "moe.ep_mp_group"
    # §2: SGLang 0.5.23 deprecated --enable-dp-attention and removed --enable-ep-moe / --enable-deepep-moe.
    assert SGLANG.by_key["enable-dp-attention"].deprecated == "--attn-dp-size"
    assert SGLANG.by_key["enable-ep-moe"].removed == "--ep-size"
    assert SGLANG.by_key["enable-deepep-moe"].removed == "--moe-a2a-backend deepep"
    # §3.1: the DeepSpeed launcher takes underscored flags; they are no inference-config keys.
    assert DEEPSPEED.cli_flag("--num_gpus") is DEEPSPEED.cli_flag("--num_accelerators")
    assert "num_gpus" not in DEEPSPEED.by_key


def _plan(name: str, text: str) -> DeclaredPlan:
    [plan] = adapt(load_text(name, textwrap.dedent(text)))
    return plan


def test_vllm_config_keys_take_dashes_or_underscores_but_not_short_aliases() -> None:
    # §1.2: each key becomes "--" + key, then _ -> -; `tp:` is `--tp`, not a vLLM option.
    plan = _plan("serve.yaml", "model: m\ntensor-parallel-size: 4\npipeline_parallel_size: 2\ndp: 2\n")
    assert (plan.get("tp"), plan.get("pp"), plan.get("dp")) == (4, 2, None)
    [note] = plan.unknown_keys
    assert (note.spelling, note.replacement) == ("dp", "data-parallel-size")


def test_vllm_cli_underscores_negation_and_short_flags() -> None:
    # §1.1: FlexibleArgumentParser rewrites _ to - in `--` flags; booleans use BooleanOptionalAction.
    parsed = parse_args("vllm", tokens("m --tensor_parallel_size 2 -pp 2 -dp 2 --no-enable-expert-parallel"))
    assert {name: value.value for name, value in parsed.settings.items()} == {
        "tp": 2, "pp": 2, "dp": 2, "enable_ep": False}


def test_sglang_config_keys_are_verbatim_dash_spellings() -> None:
    # §2.2: `tp_size:` becomes `--tp_size` (unrecognized); `tp:`/`dp:` work by abbreviation; `pp:` is ambiguous;
    # a store_true flag set to false is omitted.
    plan = _plan("sglang.yaml", """\
        model-path: m
        tp: 8
        dp: 2
        tp_size: 4
        pp: 2
        enable-dp-lm-head: false
        enable-eplb: false
        """)
    assert (plan.get("tp"), plan.get("dp"), plan.get("pp"), plan.get("eplb")) == (8, 2, None, None)
    notes = {note.spelling: note.replacement for note in plan.unknown_keys}
    assert notes == {"tp_size": "tp-size", "pp": "pp-size"}


def test_sglang_cli_has_no_underscore_rewrite_and_pp_is_ambiguous() -> None:
    # §2.1: dashed flags only; --tp/--dp are unique prefixes, --pp is rejected as ambiguous.
    parsed = parse_args("sglang", tokens("--model-path m --tp 4 --dp 2 --tp_size 8 --pp 2"))
    assert (parsed.settings["tp"].value, parsed.settings["dp"].value) == (4, 2)
    assert "pp" not in parsed.settings
    assert [note.spelling for note in parsed.invalid] == ["--pp"]
    assert [note.spelling for note in parsed.unknown] == ["--tp_size"]


def test_trtllm_cli_is_underscored_and_yaml_only_keys_have_no_flag() -> None:
    # §4.1: click options with underscores; dashed spellings are not accepted; model is positional;
    # moe_tensor_parallel_size / enable_attention_dp / pp_partition have no trtllm-serve flag.
    parsed = parse_args("trtllm", tokens("m --tp_size 8 --tp-size 4 --moe_tensor_parallel_size 2 "
                                         "--enable_attention_dp --pp_partition 1,2"))
    assert parsed.model is not None and parsed.model.value == "m"
    assert {name: value.value for name, value in parsed.settings.items()} == {"tp": 8}
    assert TRTLLM.cli_flag("--model") is None


def test_trtllm_cluster_size_on_the_command_line_is_dropped() -> None:
    # §4.1: serve() passes moe_cluster_parallel_size= to get_llm_args(), whose extra dict is discarded.
    parsed = parse_args("trtllm", tokens("m --tp_size 8 --cluster_size 2 --ep_size 4"))
    assert "moe_cluster" not in parsed.settings
    assert parsed.settings["ep"].value == 4
    [note] = parsed.deprecated
    assert note.spelling == "--cluster_size" and "moe_cluster_parallel_size" in note.reason
    # In the YAML the field is read (status "deprecated", but it takes effect).
    plan = _plan("extra.yaml", "tensor_parallel_size: 8\nmoe_cluster_parallel_size: 2\n")
    assert plan.get("moe_cluster") == 2


def test_trtllm_yaml_keys_are_underscored_field_names() -> None:
    # §4.1/§4.2: BaseLlmArgs(extra="forbid"); dashed keys and CLI-only options are not fields.
    plan = _plan("extra.yaml", "tensor_parallel_size: 8\nmoe-expert-parallel-size: 8\nenable_attention_dp: true\n")
    assert (plan.get("tp"), plan.get("enable_attention_dp"), plan.get("ep")) == (8, True, None)
    assert [note.replacement for note in plan.unknown_keys] == ["moe_expert_parallel_size"]
    assert "host" not in TRTLLM.by_key and "free_gpu_memory_fraction" not in TRTLLM.by_key


def test_deepspeed_deprecated_key_migrates_and_replacement_wins() -> None:
    # §3.1: deprecated keys carry their migration target; the new key is the one to use.
    plan = _plan("ds_infer.json", '{"mp_size": 2, "tensor_parallel": {"tp_size": 4}, "moe": true}')
    assert plan.engine == "deepspeed" and plan.get("tp") == 4
    assert [(note.spelling, note.replacement) for note in plan.deprecated_keys] == [
        ("mp_size", "tensor_parallel.tp_size")]


def test_mii_server_flags_are_dashed() -> None:
    # §3.1: mii servers take --tensor-parallel and --replica-num (dashed names of the underscore fields).
    parsed = parse_args("mii", tokens("--model m --tensor-parallel 2 --replica-num 3 --tensor_parallel 4"))
    assert (parsed.settings["tp"].value, parsed.settings["replicas"].value) == (2, 3)
    assert MII.cli_flag("--tensor_parallel") is None and MII.cli_flag("--replica_num") is None


def test_sglang_boolean_optional_flags_are_refused_in_config_files() -> None:
    # §2.2: options whose action is neither store_true nor single-value raise "Unsupported config option".
    plan = _plan("sglang.yaml", "model-path: m\ntp-size: 8\ndcp-replicate-q-proj: true\n")
    assert plan.engine == "sglang" and plan.get("tp") == 8
    [note] = plan.unknown_keys
    assert note.spelling == "dcp-replicate-q-proj" and "Unsupported config option 'dcp-replicate-q-proj'" in note.reason
    # On the command line both spellings of a BooleanOptionalAction flag parse.
    parsed = parse_args("sglang", tokens("--model-path m --dcp-replicate-q-proj --no-dcp-replicate-q-proj"))
    assert not parsed.unknown and not parsed.invalid and not parsed.other
    # store_true flags have no --no- form.
    assert [note.spelling for note in parse_args("sglang", tokens("--model-path m --no-enable-eplb")).unknown] == [
        "--no-enable-eplb"]


def test_deepspeed_auto_values_are_dropped_not_invalid() -> None:
    # §3.1: values equal to "auto" are dropped when not strict, so the key keeps its default.
    plan = _plan("ds_infer.json", '{"tensor_parallel": {"tp_size": 2}, "mp_size": "auto", "dtype": "auto"}')
    assert plan.engine == "deepspeed" and plan.get("tp") == 2
    assert not plan.invalid_values and not plan.deprecated_keys


def test_mii_device_map_short_forms_are_the_localhost_map() -> None:
    # §3.1 ModelConfig: device_map int and list forms are normalized (make_device_map_dict).
    plan = _plan("mii.yaml", "model_name_or_path: m\ntensor_parallel: 2\nreplica_num: 1\ndevice_map: [2, 3]\n")
    assert plan.engine == "mii" and plan.get("device_map") == {"localhost": [[2, 3]]} and not plan.invalid_values
    plan = _plan("mii.yaml", "model_name_or_path: m\ntensor_parallel: 1\ndevice_map: 3\n")
    assert plan.get("device_map") == {"localhost": [[3]]} and not plan.invalid_values
    plan = _plan("mii.yaml", "model_name_or_path: m\ntensor_parallel: 2\nreplica_num: 2\n"
                             "device_map: [[0, 1], [2, 3]]\n")
    assert plan.get("device_map") == {"localhost": [[0, 1], [2, 3]]}


def test_config_flag_rules_per_engine() -> None:
    # §1.2: vLLM pulls the file only from the pair `--config <path>`, one of them, .yaml/.yml only.
    inline = parse_args("vllm", tokens("m --config=serve.yaml -tp 2"))
    assert inline.config is None and [note.replacement for note in inline.unknown] == ["--config serve.yaml"]
    twice = parse_args("vllm", tokens("m --config a.yaml --config b.yaml"))
    assert twice.config is not None and twice.config.value == "a.yaml"
    assert [note.reason for note in twice.invalid] == ["only one `--config` is allowed"]
    json_file = parse_args("vllm", tokens("m --config serve.json"))
    assert json_file.config is None
    assert "Config file must be of a yaml/yml type." in json_file.invalid[0].reason
    # §2.2: SGLang needs .yaml/.yml too; `--config=x.yaml` is fine there.
    assert parse_args("sglang", tokens("--config x.yml")).config is not None
    assert parse_args("sglang", tokens("--config=x.yaml")).config is not None
    [toml] = parse_args("sglang", tokens("--config x.toml")).invalid
    assert "Config file must be YAML format, got: …" in toml.reason
    # §4.2: trtllm-serve loads any path with yaml.safe_load, under either name.
    assert parse_args("trtllm", tokens("m --extra_llm_api_options extra.txt")).config is not None


def test_every_table_option_is_an_option_of_the_released_engine() -> None:
    # parlint/data/engine_options.json lists the parsers' options of vLLM 0.33.0 and SGLang 0.5.23
    # (scripts/build_engine_options.py). Exceptions: removed flags, in the table to say what to do instead.
    data = json.loads((Path(__file__).resolve().parents[1] / "parlint" / "data" / "engine_options.json").read_text())
    for table, exceptions in ((VLLM, {"--disable-log-requests"}),
                              (SGLANG, {"--enable-ep-moe", "--enable-deepep-moe"})):
        real = set(data[table.options_source]["options"])
        assert {name for name in table.by_cli if name not in real} == exceptions, table.engine
        removed = {name for flag in table.flags if flag.removed for name in flag.cli}
        assert removed == exceptions


def test_options_outside_the_tables_are_valid_prefixes_expand_over_all_of_them() -> None:
    sglang = parse_args("sglang", tokens("--model-path m --tp-size 8 --ep-size 8 --dwdp-size 8 "
                                         "--mm-attention-backend fa3 --cuda-graph-bs 8"))
    assert not sglang.unknown and sglang.settings["tp"].value == 8
    # --cuda-graph-bs abbreviates both --cuda-graph-bs-decode and --cuda-graph-bs-prefill: SGLang refuses it.
    assert [note.reason for note in sglang.invalid] == [
        "ambiguous option: --cuda-graph-bs could match --cuda-graph-bs-decode, --cuda-graph-bs-prefill"]
    vllm = parse_args("vllm", tokens("m -tp 2 --ec-transfer-config {} --enable-lorra"))
    assert [(note.spelling, note.replacement) for note in vllm.unknown] == [("--enable-lorra", "--enable-lora")]
