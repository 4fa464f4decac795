"""Each engine's flag table, in one place, and the argument-list parser that reads them.

The tables say how a key is written in the engine's config file and on its command line, what type
its value has, which canonical setting (see :mod:`parlint.linter.plan`) it feeds, and whether the
engine deprecated or removed it. The config-file adapters and the launch-command adapters (shell,
Kubernetes, Helm, SkyPilot) both read these tables, so an engine's spelling rules live only here.

Facts come from ``shared/reference/frameworks.md``:

- vLLM 0.33.0 (§1.1, §1.2): ``EngineArgs.add_cli_args`` in ``vllm/engine/arg_utils.py``; flags are ``--``
  plus the field name with dashes, ``FlexibleArgumentParser`` (``vllm/utils/argparse_utils.py``)
  rewrites ``_`` to ``-`` in a flag name up to the first ``.``; booleans use
  ``argparse.BooleanOptionalAction`` (``--x`` and ``--no-x``); short aliases ``-tp -pp -dp -dpl -ep
  -dcp -pcp -n -r`` ...; dotted ``--eplb-config.num_redundant_experts 32``.
- SGLang 0.5.23 (§2.1, §2.2): ``add_cli_args_from_dataclass`` in
  ``python/sglang/srt/arg_groups/arg_utils.py``; dashed flags only; ``bool`` fields are store_true;
  ``--tp``/``--dp`` work only through argparse prefix abbreviation and ``--pp`` is ambiguous;
  ``--enable-dp-attention`` deprecated; ``--enable-ep-moe``/``--enable-deepep-moe`` removed.
- TensorRT-LLM (§4.1): ``BaseLlmArgs`` in ``tensorrt_llm/llmapi/llm_args.py`` (YAML keys, underscores)
  and the click options of ``tensorrt_llm/commands/serve.py`` (underscores only; the model is positional;
  ``moe_tensor_parallel_size``, ``enable_attention_dp``, ``pp_partition`` are YAML only; ``--cluster_size``
  parses but ``serve()`` drops it; ``--host``/``--port``/``--free_gpu_memory_fraction`` are no YAML fields).
- DeepSpeed 0.19.6 / DeepSpeed-MII 0.3.4 (§3.1): ``DeepSpeedInferenceConfig``
  (``deepspeed/inference/config.py``), the launcher (``deepspeed/launcher/runner.py``) and MII's
  ``ModelConfig`` (``mii/config.py``) and server flags ``--tensor-parallel``/``--replica-num``.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
import json
import math
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from parlint.linter.diagnostics import Position, Range
from parlint.linter.plan import GpuSupply, KeyNote, Sourced
from parlint.linter.values import as_int

INT = "int"
FLOAT = "float"
STR = "str"
BOOL = "bool"  # takes true/false in a file; on the CLI ``--x`` (and ``--no-x`` where negatable)
STORE_TRUE = "store_true"  # takes no value on the CLI
JSON = "json"  # a mapping: nested YAML, or a JSON string on the CLI
INT_LIST = "int_list"  # several ints: a list in a file, a comma string in an environment variable
LIST = "list"  # several strings
SIZE = "size"  # an int, or a form the engine parses itself (e.g. vLLM ``max_model_len: 32k``)


@dataclass(frozen=True)
class Flag:
    """One engine key.

    ``key`` is the spelling in the engine's config file (vLLM/TRT-LLM/DeepSpeed field name, SGLang's
    dashed name); ``cli`` lists command-line spellings, the long form first; a key with no ``cli`` has no
    command-line option (TensorRT-LLM ``enable_attention_dp`` is YAML only). ``aliases`` are other
    config-file spellings the engine accepts (DeepSpeed ``tp.tp_size``). ``subsettings`` maps keys of
    a JSON/mapping value to canonical settings (vLLM ``eplb_config.num_redundant_experts``).
    """

    key: str
    kind: str
    setting: str | None = None
    cli: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    minimum: int | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    deprecated: str | None = None  # replacement spelling; the engine still accepts the key
    removed: str | None = None  # replacement spelling; the engine no longer accepts the key
    note: str = ""
    subsettings: tuple[tuple[str, str, str], ...] = ()  # (sub-key, canonical setting, kind)
    cli_only: bool = False  # a command-line option with no config-file key (trtllm-serve ``--host``)
    ignored_on_cli: str = ""  # why the engine parses the option but drops its value (``--cluster_size``)

    @property
    def long(self) -> str:
        return self.cli[0] if self.cli else "--" + self.key


@dataclass(frozen=True)
class EngineFlags:
    """An engine's table plus its spelling rules."""

    engine: str
    flags: tuple[Flag, ...]
    cli_underscores: bool = False  # vLLM: ``--tensor_parallel_size`` is ``--tensor-parallel-size``
    negatable: bool = False  # ``--no-x`` for every BOOL flag (vLLM; SGLang's BOOL flags are BooleanOptionalAction)
    abbreviations: tuple[tuple[str, str], ...] = ()  # documented argparse prefix abbreviations
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()  # prefixes argparse rejects as ambiguous
    config_flags: tuple[str, ...] = ("--config",)
    config_suffix_error: str = ""  # the engine's refusal of a config file not named .yaml/.yml
    config_pair_only: bool = False  # vLLM reads the file only from the two words ``--config <path>``
    positional_model: bool = True
    allow_abbrev: bool = False  # argparse's default: a unique prefix of an option is that option
    options_source: str = ""  # the engine's entry in engine_options.json (all of its parser's options)
    level_shorthand: str = ""  # vLLM's ``-O3`` / ``-O 3``: the optimization level, rewritten before argparse

    @cached_property
    def by_cli(self) -> dict[str, Flag]:
        table: dict[str, Flag] = {}
        for flag in self.flags:
            for spelling in flag.cli:
                table[spelling] = flag
        return table

    @cached_property
    def by_key(self) -> dict[str, Flag]:
        table: dict[str, Flag] = {}
        for flag in self.flags:
            if not flag.cli_only:
                for key in (flag.key, *flag.aliases):
                    table[key] = flag
        return table

    def normalize_cli(self, spelling: str) -> str:
        """The flag name as the engine's parser sees it (vLLM rewrites ``_`` to ``-`` up to a ``.``)."""
        if self.cli_underscores and spelling.startswith("--"):
            head, dot, tail = spelling[2:].partition(".")
            return "--" + head.replace("_", "-") + dot + tail
        return spelling

    def cli_flag(self, spelling: str) -> Flag | None:
        return self.by_cli.get(self.normalize_cli(spelling))

    def abbreviation(self, spelling: str) -> str | None:
        return dict(self.abbreviations).get(spelling)

    def ambiguity(self, spelling: str) -> tuple[str, ...] | None:
        return dict(self.ambiguous).get(spelling)

    @cached_property
    def other_options(self) -> frozenset[str]:
        """Every other option the engine's parser defines (``parlint/data/engine_options.json``, built by
        ``scripts/build_engine_options.py`` from the released sources): valid, but nothing parlint models."""
        if not self.options_source:
            return frozenset()
        return frozenset(_engine_options()[self.options_source]["options"]) - set(self.by_cli)

    def is_option(self, spelling: str) -> bool:
        """Whether the engine defines ``spelling`` (listed in the table or not)."""
        normalized = self.normalize_cli(spelling)
        return normalized in self.by_cli or normalized in self.other_options

    def closest_cli(self, spelling: str) -> str | None:
        """The option ``spelling`` is a typo of, for a "did you mean"; None when it is no typo."""
        if self.is_option(spelling):
            return None
        candidates = [name for name in (*self.by_cli, *self.other_options)
                      if name.startswith("--") == spelling.startswith("--")]
        return closest_spelling(self.normalize_cli(spelling), candidates)

    def expansions(self, spelling: str) -> tuple[str, ...]:
        """The long options an unknown ``--prefix`` abbreviates (argparse ``allow_abbrev``), among all the
        engine's options: one is that option, several make argparse refuse it as ambiguous. Explicit
        :attr:`abbreviations` and :attr:`ambiguous` entries are consulted before this."""
        normalized = self.normalize_cli(spelling)
        if not self.allow_abbrev or not normalized.startswith("--"):
            return ()
        matched = {flag.long for name, flag in self.by_cli.items()
                   if name.startswith(normalized) and name.startswith("--") and name != normalized}
        matched.update(name for name in self.other_options if name.startswith(normalized) and name != normalized)
        return tuple(sorted(matched))


@lru_cache(maxsize=1)
def _engine_options() -> dict[str, Any]:
    """``parlint/data/engine_options.json``, read once however many tables ask (only when an option is unknown)."""
    from pathlib import Path

    data: dict[str, Any] = json.loads((Path(__file__).resolve().parents[2] / "data" / "engine_options.json")
                                      .read_text("utf-8"))
    return data


TYPO_CUTOFF = 0.85
"""How alike (difflib ratio) an unknown spelling and a known one must be for the first to count as a typo of
the second. The tables hold the options that shape the mapping, not every engine option, so a looser match
calls real options typos (``--enable-lora`` is 0.80 from ``--enable-dbo``, ``--page-size`` 0.80 from
``--tp-size``); misspelled parallel flags stay above it (``--tensor-paralel-size`` 0.98, ``--tp-szie`` 0.89)."""


def closest_spelling(name: str, candidates: Sequence[str]) -> str | None:
    """The candidate ``name`` misspells, or None."""
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=TYPO_CUTOFF)
    return match[0] if match else None


def _flag(key: str, kind: str, setting: str | None = None, *cli: str, **extra: Any) -> Flag:
    return Flag(key, kind, setting, tuple(cli), **extra)


_VLLM_A2A = (
    "allgather_reducescatter", "deepep_high_throughput", "deepep_low_latency", "deepep_v2",
    "mori_high_throughput", "mori_low_latency", "moonep", "nixl_ep", "flashinfer_all2allv",
    "flashinfer_nvlink_two_sided", "flashinfer_nvlink_one_sided", "pplx", "naive",
)
VLLM_A2A_FALLBACK = ("pplx", "naive")
"""vLLM 0.33 still parses these ``all2all_backend`` values but falls back to ``allgather_reducescatter``."""

VLLM = EngineFlags(
    "vllm",
    (
        _flag("model", STR, "model", "--model"),
        _flag("tensor_parallel_size", INT, "tp", "--tensor-parallel-size", "-tp", minimum=1),
        _flag("pipeline_parallel_size", INT, "pp", "--pipeline-parallel-size", "-pp", minimum=1),
        _flag("data_parallel_size", INT, "dp", "--data-parallel-size", "-dp", minimum=1),
        # 0 is valid: a front-end node that runs only the API server ("--data-parallel-size-local 0" on node 0
        # with all engines --headless elsewhere, vLLM docs/serving/data_parallel_deployment.md).
        _flag("data_parallel_size_local", INT, "dp_local", "--data-parallel-size-local", "-dpl",
              minimum=0, nullable=True),
        _flag("data_parallel_rank", INT, "dp_rank", "--data-parallel-rank", "-dpn", minimum=0, nullable=True),
        _flag("data_parallel_start_rank", INT, None, "--data-parallel-start-rank", "-dpr", minimum=0,
              nullable=True),
        _flag("data_parallel_address", STR, None, "--data-parallel-address", "-dpa", nullable=True),
        _flag("data_parallel_rpc_port", INT, None, "--data-parallel-rpc-port", "-dpp", nullable=True),
        _flag("data_parallel_backend", STR, None, "--data-parallel-backend", "-dpb", choices=("mp", "ray")),
        _flag("data_parallel_hybrid_lb", BOOL, None, "--data-parallel-hybrid-lb", "-dph"),
        _flag("data_parallel_external_lb", BOOL, None, "--data-parallel-external-lb", "-dpe"),
        _flag("data_parallel_multi_port_external_lb", STORE_TRUE, None,
              "--data-parallel-multi-port-external-lb", "-dpm"),
        _flag("enable_expert_parallel", BOOL, "enable_ep", "--enable-expert-parallel", "-ep"),
        _flag("enable_eplb", BOOL, "eplb", "--enable-eplb"),
        _flag("eplb_config", JSON, None, "--eplb-config",
              subsettings=(("num_redundant_experts", "redundant_experts", INT),)),
        _flag("expert_placement_strategy", STR, None, "--expert-placement-strategy",
              choices=("linear", "round_robin")),
        _flag("all2all_backend", STR, "a2a_backend", "--all2all-backend", choices=_VLLM_A2A),
        _flag("enable_elastic_ep", BOOL, None, "--enable-elastic-ep"),
        _flag("elastic_ep_max_dp_size", INT, None, "--elastic-ep-max-dp-size", nullable=True),
        _flag("decode_context_parallel_size", INT, "dcp", "--decode-context-parallel-size", "-dcp", minimum=1),
        _flag("prefill_context_parallel_size", INT, "cp", "--prefill-context-parallel-size", "-pcp",
              minimum=1),
        _flag("dcp_comm_backend", STR, None, "--dcp-comm-backend", choices=("ag_rs", "a2a"), nullable=True),
        _flag("dcp_kv_cache_interleave_size", INT, None, "--dcp-kv-cache-interleave-size"),
        _flag("cp_kv_cache_interleave_size", INT, None, "--cp-kv-cache-interleave-size", nullable=True),
        _flag("enable_hc_sp", BOOL, None, "--enable-hc-sp"),
        _flag("enable_dbo", BOOL, None, "--enable-dbo"),
        _flag("ubatch_size", INT, None, "--ubatch-size"),
        _flag("nnodes", INT, "nnodes", "--nnodes", "-n", minimum=1),
        _flag("node_rank", INT, "node_rank", "--node-rank", "-r", minimum=0),
        _flag("master_addr", STR, None, "--master-addr"),
        _flag("master_port", INT, None, "--master-port"),
        _flag("distributed_executor_backend", STR, "executor_backend", "--distributed-executor-backend",
              nullable=True),
        _flag("device_ids", STR, None, "--device-ids"),
        _flag("headless", STORE_TRUE, None, "--headless"),
        _flag("api_server_count", INT, None, "--api-server-count", "-asc"),
        _flag("gpu_memory_utilization", FLOAT, "mem_fraction", "--gpu-memory-utilization"),
        _flag("max_model_len", SIZE, "max_model_len", "--max-model-len"),
        _flag("dtype", STR, "dtype", "--dtype"),
        _flag("quantization", STR, "quantization", "--quantization", "-q", nullable=True),
        _flag("kv_cache_dtype", STR, "kv_cache_dtype", "--kv-cache-dtype"),
        # Not parallelism, but common in serve lines: knowing their arity keeps the positional model right.
        _flag("trust_remote_code", BOOL, None, "--trust-remote-code"),
        _flag("enforce_eager", BOOL, None, "--enforce-eager"),
        _flag("enable_prefix_caching", BOOL, None, "--enable-prefix-caching"),
        _flag("enable_chunked_prefill", BOOL, None, "--enable-chunked-prefill"),
        _flag("served_model_name", LIST, None, "--served-model-name"),
        _flag("max_num_seqs", INT, None, "--max-num-seqs"),
        # Deprecated for --enable-log-requests ("This will be removed in v0.12.0", FlexibleArgumentParser); vLLM
        # 0.33 has no such option. Renaming it would turn request logging on, so there is no rename.
        _flag("disable_log_requests", STORE_TRUE, None, "--disable-log-requests", removed="delete it",
              note="`--disable-log-requests` was removed (vLLM 0.33 has no such option and refuses it): requests "
                   "are not logged unless --enable-log-requests is given, so delete it"),
        _flag("max_num_batched_tokens", INT, None, "--max-num-batched-tokens"),
        _flag("host", STR, None, "--host"),
        _flag("port", INT, None, "--port"),
        _flag("tokenizer", STR, None, "--tokenizer"),
        _flag("revision", STR, None, "--revision"),
        _flag("download_dir", STR, None, "--download-dir"),
        _flag("load_format", STR, None, "--load-format"),
        _flag("seed", INT, None, "--seed"),
        _flag("block_size", INT, None, "--block-size"),
        _flag("speculative_config", JSON, None, "--speculative-config"),
        _flag("compilation_config", JSON, None, "--compilation-config", "-cc"),
        _flag("kv_transfer_config", JSON, None, "--kv-transfer-config"),
        _flag("hf_overrides", JSON, None, "--hf-overrides"),
        _flag("disable_custom_all_reduce", BOOL, None, "--disable-custom-all-reduce"),
        _flag("api_key", STR, None, "--api-key"),
        _flag("chat_template", STR, None, "--chat-template"),
        _flag("enable_auto_tool_choice", STORE_TRUE, None, "--enable-auto-tool-choice"),
        _flag("tool_call_parser", STR, None, "--tool-call-parser"),
        _flag("reasoning_parser", STR, None, "--reasoning-parser"),
        _flag("mm_encoder_tp_mode", STR, None, "--mm-encoder-tp-mode"),
    ),
    cli_underscores=True,
    negatable=True,
    allow_abbrev=True,  # FlexibleArgumentParser keeps argparse's default (vllm/utils/argparse_utils.py)
    options_source="vllm",
    level_shorthand="-O",  # FlexibleArgumentParser.parse_args: "-O3" and "-O 3" become --optimization-level
    config_suffix_error="Config file must be of a yaml/yml type. … supplied",
    config_pair_only=True,
)

SGLANG_A2A_BACKENDS = (
    "none", "deepep", "mooncake", "nixl", "mori", "ascend_fuseep", "flashinfer", "megamoe", "deepep_v2",
    "ascend_tp", "pplx", "flashinfer_megamoe",
)
SGLANG_EP_SPANNING_BACKENDS = frozenset(
    ("megamoe", "deepep", "deepep_v2", "mooncake", "nixl", "ascend_fuseep", "flashinfer", "flashinfer_megamoe",
     "mori", "pplx")
)
"""``_A2A_EP_SPANNING_BACKENDS``: these force ``ep_size = tp_size`` (``overrides._a2a_ep_size``)."""

SGLANG = EngineFlags(
    "sglang",
    (
        _flag("model-path", STR, "model", "--model-path", "--model"),  # ServerArgs.model_path aliases=["--model"]
        _flag("tp-size", INT, "tp", "--tp-size", "--tensor-parallel-size", minimum=1),
        _flag("pp-size", INT, "pp", "--pp-size", "--pipeline-parallel-size", minimum=1),
        _flag("dp-size", INT, "dp", "--dp-size", "--data-parallel-size", minimum=1),
        _flag("attn-dp-size", INT, "attn_dp", "--attn-dp-size", "--attention-data-parallel-size", minimum=1),
        _flag("enable-dp-attention", STORE_TRUE, "enable_attention_dp", "--enable-dp-attention",
              deprecated="--attn-dp-size",
              note="deprecated in SGLang 0.5.23: `--dp-size N --enable-dp-attention` is rewritten to "
                   "`--attn-dp-size N` with `--dp-size 1`"),
        _flag("ep-size", INT, "ep", "--ep-size", "--expert-parallel-size", "--ep", minimum=1),
        _flag("moe-a2a-backend", STR, "a2a_backend", "--moe-a2a-backend", choices=SGLANG_A2A_BACKENDS),
        _flag("moe-runner-backend", STR, None, "--moe-runner-backend"),
        _flag("moe-dp-size", INT, "moe_dp", "--moe-dp-size", "--moe-data-parallel-size", minimum=1),
        _flag("moe-dense-tp-size", INT, "moe_dense_tp", "--moe-dense-tp-size", minimum=1, nullable=True),
        _flag("ep-num-redundant-experts", INT, "redundant_experts", "--ep-num-redundant-experts", minimum=0),
        _flag("enable-eplb", STORE_TRUE, "eplb", "--enable-eplb"),
        _flag("dcp-size", INT, "dcp", "--dcp-size", "--decode-context-parallel-size", minimum=1),
        _flag("attn-cp-size", INT, "cp", "--attn-cp-size", "--attention-context-parallel-size", minimum=1),
        _flag("enable-prefill-cp", STORE_TRUE, None, "--enable-prefill-cp"),
        _flag("cp-strategy", STR, None, "--cp-strategy", choices=("zigzag", "interleave")),
        _flag("enable-layernorm-sp", STORE_TRUE, None, "--enable-layernorm-sp"),
        _flag("enable-dp-lm-head", STORE_TRUE, None, "--enable-dp-lm-head"),
        # A BooleanOptionalAction flag (``--x`` / ``--no-x``): SGLang's config merger refuses it (§2.2).
        _flag("dcp-replicate-q-proj", BOOL, None, "--dcp-replicate-q-proj"),
        _flag("shared-experts-tp-size", INT, None, "--shared-experts-tp-size", nullable=True),
        _flag("nnodes", INT, "nnodes", "--nnodes", minimum=1),
        _flag("node-rank", INT, "node_rank", "--node-rank", minimum=0),
        _flag("dist-init-addr", STR, None, "--dist-init-addr", "--nccl-init-addr"),
        _flag("base-gpu-id", INT, None, "--base-gpu-id", minimum=0),
        _flag("gpu-id-step", INT, None, "--gpu-id-step", minimum=1),
        _flag("pp-max-micro-batch-size", INT, None, "--pp-max-micro-batch-size"),
        _flag("pp-async-batch-depth", INT, None, "--pp-async-batch-depth"),
        _flag("mem-fraction-static", FLOAT, "mem_fraction", "--mem-fraction-static"),
        _flag("context-length", INT, "max_model_len", "--context-length"),
        _flag("dtype", STR, "dtype", "--dtype"),
        _flag("quantization", STR, "quantization", "--quantization"),
        _flag("kv-cache-dtype", STR, "kv_cache_dtype", "--kv-cache-dtype"),
        _flag("trust-remote-code", STORE_TRUE, None, "--trust-remote-code"),
        _flag("host", STR, None, "--host"),
        _flag("port", INT, None, "--port"),
        _flag("served-model-name", STR, None, "--served-model-name"),
        _flag("tokenizer-path", STR, None, "--tokenizer-path"),
        _flag("chunked-prefill-size", INT, None, "--chunked-prefill-size"),
        _flag("max-running-requests", INT, None, "--max-running-requests"),
        _flag("disable-cuda-graph", STORE_TRUE, None, "--disable-cuda-graph"),
        _flag("enable-torch-compile", STORE_TRUE, None, "--enable-torch-compile"),
        _flag("attention-backend", STR, None, "--attention-backend"),
        _flag("speculative-algorithm", STR, None, "--speculative-algorithm"),
        _flag("log-level", STR, None, "--log-level"),
        _flag("enable-ep-moe", STORE_TRUE, None, "--enable-ep-moe", removed="--ep-size",
              note="removed in SGLang 0.5.23; it meant `ep_size = tp_size`: set `--ep-size` to the same "
                   "value as `--tp-size`"),
        _flag("enable-deepep-moe", STORE_TRUE, None, "--enable-deepep-moe", removed="--moe-a2a-backend deepep",
              note="removed in SGLang 0.5.23; it meant `--moe-a2a-backend deepep`"),
    ),
    negatable=True,
    config_suffix_error="Config file must be YAML format, got: …",
    abbreviations=(("--tp", "--tp-size"), ("--dp", "--dp-size")),
    ambiguous=(("--pp", ("--pp-size", "--pp-max-micro-batch-size", "--pp-async-batch-depth")),),
    positional_model=False,
    allow_abbrev=True,  # frameworks.md §2.1: `--tp`/`--dp` work through argparse prefix abbreviation
    options_source="sglang",
)

TRTLLM = EngineFlags(
    "trtllm",
    (
        Flag("model", STR, "model"),  # trtllm-serve takes the model as its positional argument, not ``--model``
        _flag("tensor_parallel_size", INT, "tp", "--tensor_parallel_size", "--tp_size", minimum=1),
        _flag("pipeline_parallel_size", INT, "pp", "--pipeline_parallel_size", "--pp_size", minimum=1),
        _flag("context_parallel_size", INT, "cp", "--context_parallel_size", "--cp_size", minimum=1),
        _flag("moe_expert_parallel_size", INT, "ep", "--moe_expert_parallel_size", "--ep_size",
              minimum=1, nullable=True),
        Flag("moe_tensor_parallel_size", INT, "moe_tp", minimum=1, nullable=True),
        _flag("moe_cluster_parallel_size", INT, "moe_cluster", "--moe_cluster_parallel_size", "--cluster_size",
              minimum=1, nullable=True,
              note="status \"deprecated\" in BaseLlmArgs",
              ignored_on_cli="trtllm-serve parses this option but drops its value: serve() passes "
                             "moe_cluster_parallel_size= to get_llm_args(), which has no such parameter, and the "
                             "extra keyword arguments are discarded; set moe_cluster_parallel_size in the --config "
                             "YAML instead"),
        Flag("enable_attention_dp", BOOL, "enable_attention_dp"),
        Flag("enable_lm_head_tp_in_adp", BOOL, None),
        Flag("attention_dp_config", JSON, None),
        Flag("pp_partition", INT_LIST, "pp_partition", nullable=True),
        Flag("cp_config", JSON, None, subsettings=(("cp_type", "cp_type", STR),)),
        _flag("gpus_per_node", INT, "gpus_per_node", "--gpus_per_node", minimum=1, nullable=True),
        Flag("moe_config", JSON, None),
        Flag("orchestrator_type", STR, None, choices=("rpc", "ray"), nullable=True),
        Flag("kv_cache_config", JSON, None, subsettings=(("free_gpu_memory_fraction", "mem_fraction", FLOAT),
                                                         ("dtype", "kv_cache_dtype", STR))),
        # The CLI puts it into ``kv_cache_config`` (``get_llm_args``); it is no top-level field of its own.
        _flag("free_gpu_memory_fraction", FLOAT, "mem_fraction", "--free_gpu_memory_fraction",
              "--kv_cache_free_gpu_memory_fraction", cli_only=True),
        _flag("max_seq_len", INT, "max_model_len", "--max_seq_len", nullable=True),
        _flag("max_batch_size", INT, None, "--max_batch_size", nullable=True),
        _flag("max_num_tokens", INT, None, "--max_num_tokens", nullable=True),
        Flag("dtype", STR, "dtype"),
        Flag("quant_config", JSON, None, subsettings=(("quant_algo", "quantization", STR),)),
        _flag("backend", STR, None, "--backend"),
        _flag("trust_remote_code", BOOL, None, "--trust_remote_code"),
        Flag("cuda_graph_config", JSON, None, nullable=True),
        _flag("enable_chunked_prefill", BOOL, None, "--enable_chunked_prefill"),
        Flag("speculative_config", JSON, None, nullable=True),
        Flag("print_iter_log", BOOL, None),
        Flag("disable_overlap_scheduler", BOOL, None),
        _flag("host", STR, None, "--host", cli_only=True),
        _flag("port", INT, None, "--port", cli_only=True),
        _flag("log_level", STR, None, "--log_level", cli_only=True),
    ),
    config_flags=("--config", "--extra_llm_api_options"),
)

DEEPSPEED = EngineFlags(
    "deepspeed",
    (
        # Inference config (``DeepSpeedInferenceConfig``): dotted paths into the JSON object.
        Flag("tensor_parallel.tp_size", INT, "tp", aliases=("tp.tp_size",), minimum=1),
        Flag("tensor_parallel.enabled", BOOL, None, aliases=("tp.enabled",)),
        Flag("tensor_parallel.tp_grain_size", INT, None, aliases=("tp.tp_grain_size",)),
        Flag("tensor_parallel.mpu", JSON, None, aliases=("tp.mpu",), nullable=True),
        Flag("tensor_parallel.tp_group", JSON, None, aliases=("tp.tp_group",), nullable=True),
        Flag("moe.enabled", BOOL, None),
        Flag("moe.ep_size", INT, "ep", minimum=1),
        Flag("moe.moe_experts", INT_LIST, "moe_experts", aliases=("moe.num_experts",)),
        Flag("moe.type", STR, None, choices=("standard", "residual")),
        Flag("moe.ep_group", JSON, None, aliases=("moe.expert_group",), nullable=True),
        Flag("moe.ep_mp_group", JSON, None, nullable=True),
        Flag("mp_size", INT, "tp", minimum=1, deprecated="tensor_parallel.tp_size"),
        Flag("ep_size", INT, "ep", minimum=1, deprecated="moe.ep_size"),
        Flag("moe_experts", INT_LIST, "moe_experts", deprecated="moe.moe_experts"),
        Flag("moe_type", STR, None, deprecated="moe.type"),
        Flag("mpu", JSON, None, nullable=True, deprecated="tensor_parallel.mpu"),
        # Deprecated top-level fields not in frameworks.md, read from deepspeed/inference/config.py (029f12b).
        Flag("ep_group", JSON, None, aliases=("expert_group",), nullable=True, deprecated="moe.ep_group"),
        Flag("ep_mp_group", JSON, None, aliases=("expert_mp_group",), nullable=True, deprecated="moe.ep_mp_group"),
        Flag("triton_autotune", BOOL, None),
        Flag("transposed_mode", BOOL, None),
        Flag("checkpoint_config", JSON, None, aliases=("ckpt_config",)),
        Flag("config", JSON, None, aliases=("args",), nullable=True),
        Flag("replace_with_kernel_inject", BOOL, None, aliases=("kernel_inject",)),
        Flag("training_mp_size", INT, None, minimum=1),
        Flag("dtype", STR, "dtype"),
        Flag("max_out_tokens", INT, "max_model_len", aliases=("max_tokens",)),
        Flag("min_out_tokens", INT, None, aliases=("min_tokens",)),
        Flag("enable_cuda_graph", BOOL, None),
        Flag("use_triton", BOOL, None),
        Flag("triangular_masking", BOOL, None, aliases=("tm",)),
        Flag("return_tuple", BOOL, None),
        Flag("injection_policy", JSON, None, aliases=("injection_dict",), nullable=True),
        Flag("injection_policy_tuple", JSON, None, nullable=True),
        Flag("checkpoint", JSON, None, nullable=True),
        Flag("base_dir", STR, None),
        Flag("save_mp_checkpoint_path", STR, None, nullable=True),
        Flag("set_empty_params", BOOL, None),
        Flag("zero", JSON, None),
        Flag("quant", JSON, None),
        Flag("replace_method", STR, None),
        Flag("keep_module_on_host", BOOL, None),
        # The launcher (``deepspeed/launcher/runner.py``).
        # -1, the default, means every GPU of the node (frameworks.md §DeepSpeed launcher): no stated count.
        Flag("num_gpus", INT, "launcher_gpus", ("--num_gpus", "--num_accelerators"), minimum=-1, cli_only=True),
        Flag("num_nodes", INT, "nnodes", ("--num_nodes",), cli_only=True),
        Flag("node_rank", INT, "node_rank", ("--node_rank",), minimum=0, cli_only=True),
        Flag("master_addr", STR, None, ("--master_addr",), cli_only=True),
        Flag("master_port", INT, None, ("--master_port",), cli_only=True),
        Flag("hostfile", STR, None, ("--hostfile", "-H"), cli_only=True),
        Flag("include", STR, None, ("--include", "-i"), cli_only=True),
        Flag("exclude", STR, None, ("--exclude", "-e"), cli_only=True),
    ),
    config_flags=(),
    positional_model=False,
)

MII = EngineFlags(
    "mii",
    (
        Flag("model_name_or_path", STR, "model", ("--model",)),
        Flag("tensor_parallel", INT, "tp", ("--tensor-parallel",), minimum=1),
        Flag("replica_num", INT, "replicas", ("--replica-num",), minimum=1),
        Flag("device_map", JSON, "device_map"),
        Flag("replica_configs", JSON, None),
        Flag("task", STR, None),
        Flag("torch_dist_port", INT, None),
        Flag("zmq_port_number", INT, None),
        Flag("quantization_mode", STR, "quantization", nullable=True),
        Flag("inference_engine_config", JSON, None),
        Flag("max_length", INT, "max_model_len", nullable=True),
        Flag("sync_debug", BOOL, None),
        Flag("profile_model_time", BOOL, None),
        Flag("tokenizer", STR, None, nullable=True),
        Flag("deployment_name", STR, None, ("--deployment-name",)),
        Flag("port_number", INT, None, ("--port",)),
        Flag("enable_restful_api", BOOL, None),
        Flag("restful_api_port", INT, None),
        Flag("hostfile", STR, None),
        Flag("deployment_type", STR, None),
    ),
    config_flags=(),
)

ENGINES: dict[str, EngineFlags] = {table.engine: table for table in (VLLM, SGLANG, TRTLLM, DEEPSPEED, MII)}

PP_PARTITION_ENV = {"vllm": "VLLM_PP_LAYER_PARTITION", "sglang": "SGLANG_PP_LAYER_PARTITION"}
"""The environment variable each engine reads for a custom pipeline split (frameworks.md §1.7, §2.7)."""


# --------------------------------------------------------------------------------------------------
# Values

MAX_DEGREE = 1 << 16
"""The largest degree, rank or count (an int flag with a minimum) parlint accepts: no inference deployment
comes near 65,536 GPUs, and a hostile ``tensor-parallel-size: 10**20`` must not reach code that counts up to
it. Products of accepted degrees are bounded by :data:`parlint.linter.derive.MAX_WORLD_SIZE`."""


def coerce(flag: Flag, value: Any, kind: str | None = None) -> tuple[Any, str | None]:
    """Convert a value as the engine would; ``(value, None)`` or ``(None, reason)`` when unusable.

    File values arrive typed (YAML/JSON); CLI and environment values arrive as strings.
    """
    kind = kind or flag.kind
    if value is None:
        return (None, None) if flag.nullable else (None, f"`{flag.key}` needs {_describe(kind)}, not null")
    if kind in (INT, SIZE):
        number = as_int(value)
        if number is None:
            if kind == SIZE and isinstance(value, str) and value.strip():
                return value, None
            return None, f"`{flag.key}` needs {_describe(kind)}, got {_show(value)}"
        if flag.minimum is not None and number < flag.minimum:
            return None, f"`{flag.key}` must be >= {flag.minimum}, got {number}"
        if flag.minimum is not None and number > MAX_DEGREE:
            return None, f"`{flag.key}` must be <= {MAX_DEGREE}, more GPUs than any deployment has; got {_show(number)}"
        return number, None
    if kind == FLOAT:
        if isinstance(value, bool):
            return None, f"`{flag.key}` needs a number, got {_show(value)}"
        try:
            real = float(value)
        except (TypeError, ValueError):
            return None, f"`{flag.key}` needs a number, got {_show(value)}"
        if not math.isfinite(real):
            return None, f"`{flag.key}` needs a finite number, got {_show(value)}"
        return real, None
    if kind in (BOOL, STORE_TRUE):
        flag_value = _as_bool(value)
        if flag_value is None:
            return None, f"`{flag.key}` needs true or false, got {_show(value)}"
        return flag_value, None
    if kind == INT_LIST:
        return _int_list(flag, value)
    if kind == LIST:
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in items):
            return None, f"`{flag.key}` needs a list of strings, got {_show(value)}"
        return [str(item) for item in items], None
    if kind == JSON:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None, f"`{flag.key}` needs a mapping (or a JSON object), got {_show(value)}"
        if not isinstance(value, (dict, list)):
            return None, f"`{flag.key}` needs a mapping, got {_show(value)}"
        return value, None
    # STR
    if isinstance(value, (dict, list, bool)):
        return None, f"`{flag.key}` needs a string, got {_show(value)}"
    text = str(value)
    if flag.choices and text not in flag.choices:
        return None, f"`{flag.key}` must be one of {', '.join(flag.choices)}; got {text!r}"
    return text, None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _int_list(flag: Flag, value: Any) -> tuple[Any, str | None]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
    if items is None:
        return None, f"`{flag.key}` needs a list of integers, got {_show(value)}"
    numbers = [as_int(item) for item in items]
    if any(number is None for number in numbers):
        return None, f"`{flag.key}` needs a list of integers, got {_show(value)}"
    return numbers, None


def _describe(kind: str) -> str:
    return {INT: "an integer", SIZE: "an integer", FLOAT: "a number", BOOL: "true or false",
            STORE_TRUE: "true or false", INT_LIST: "a list of integers", LIST: "a list",
            JSON: "a mapping"}.get(kind, "a string")


_SHOW_LIMIT = 40


def _show(value: Any) -> str:
    """A JSON-like preview of a value, at most 40 characters.

    Written piece by piece and stopped at the limit: a value from a YAML alias bomb (9**9 strings behind
    nine aliases), a self-referencing alias or a 5,000-digit integer costs only the preview.
    """
    if isinstance(value, str):
        text = repr(value[: _SHOW_LIMIT + 1])
    else:
        pieces: list[str] = []
        size = 0
        pending: list[Any] = [value]
        while pending and size <= _SHOW_LIMIT:
            item = pending.pop()
            if isinstance(item, _Piece):
                piece = str(item)
            elif isinstance(item, dict):
                piece = "{"
                pending.append(_Piece("}"))
                members = list(itertools.islice(item.items(), _SHOW_LIMIT))
                for index, (key, member) in reversed(list(enumerate(members))):
                    pending.extend((member, _Piece(json.dumps(key if isinstance(key, str) else _scalar(key)) + ": ")))
                    if index:
                        pending.append(_Piece(", "))
            elif isinstance(item, list):
                piece = "["
                pending.append(_Piece("]"))
                for index in reversed(range(min(len(item), _SHOW_LIMIT))):
                    pending.append(item[index])
                    if index:
                        pending.append(_Piece(", "))
            else:
                piece = _scalar(item)
            pieces.append(piece)
            size += len(piece)
        text = "".join(pieces)
    return text if len(text) <= _SHOW_LIMIT else text[: _SHOW_LIMIT - 3] + "..."


class _Piece(str):
    """Literal text of a preview, as opposed to a value still to be shown."""


def _scalar(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _SHOW_LIMIT * 3:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.dumps(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return reprlib.repr(value)


def parse_partition(engine: str, text: str, file: str, where: Range, spelling: str) -> Sourced[Any] | KeyNote:
    """Read ``VLLM_PP_LAYER_PARTITION``/``SGLANG_PP_LAYER_PARTITION`` (``get_pp_indices``: comma ints)."""
    try:
        parts = [int(part) for part in text.split(",")]
    except ValueError:
        return KeyNote(spelling, file, where, f"Invalid partition string: {text!r} ({engine} expects "
                                             "comma-separated layer counts such as \"15,15,16,15\")")
    return Sourced(parts, file, where, spelling)


# --------------------------------------------------------------------------------------------------
# Argument lists


@dataclass(frozen=True)
class Token:
    """One shell word with where it was written (a launch-command adapter produces these)."""

    text: str
    file: str
    range: Range


@dataclass
class ParsedArgs:
    """An argument list read with an engine's table. Later flags override earlier ones, as argparse does."""

    engine: str
    settings: dict[str, Sourced[Any]] = field(default_factory=dict)
    model: Sourced[str] | None = None
    config: Sourced[str] | None = None
    unknown: list[KeyNote] = field(default_factory=list)
    deprecated: list[KeyNote] = field(default_factory=list)
    invalid: list[KeyNote] = field(default_factory=list)
    other: list[Sourced[str]] = field(default_factory=list)  # flags parlint does not model, kept verbatim
    supply: list[GpuSupply] = field(default_factory=list)


def _sub_range(token: Token, start: int) -> Range:
    """Range of ``token.text[start:]`` when the token sits on one line with its text verbatim."""
    begin, end = token.range.start, token.range.end
    if begin.line == end.line and end.column - begin.column == len(token.text):
        return Range(Position(begin.line, begin.column + start), end)
    return token.range


def parse_args(engine: str, tokens: Sequence[Token]) -> ParsedArgs:
    """Read an engine's argument list (after the program and sub-command, e.g. after ``vllm serve``).

    Handles ``--flag value`` and ``--flag=value``, vLLM's underscore spellings, ``--no-x`` and dotted
    ``--eplb-config.num_redundant_experts``, store_true flags, SGLang's documented abbreviations
    (``--tp``, ``--dp``; ``--pp`` is ambiguous) and argparse prefixes of listed options, vLLM's ``-O3``
    optimization-level shorthand, the positional model and the ``--config`` path.
    """
    table = ENGINES[engine]
    parsed = ParsedArgs(engine)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        text = token.text
        if not text.startswith("-") or text in ("-", "--") or _is_number(text):
            if table.positional_model and parsed.model is None and text not in ("-", "--"):
                parsed.model = Sourced(text, token.file, token.range, "")
            continue
        shorthand = table.level_shorthand
        if shorthand and text.startswith(shorthand) and text[len(shorthand):len(shorthand) + 1] != ".":
            # "-O3", "-O=3" or "-O 3": vLLM's --optimization-level, nothing parlint models
            attached = text != shorthand
            if attached or (index < len(tokens) and tokens[index].text in ("0", "1", "2", "3")):
                index += 0 if attached else 1
                parsed.other.append(Sourced(text, token.file, token.range, shorthand))
                continue
        name, equals, inline = text.partition("=")
        value_token: Token | None = None
        if equals:
            value_token = Token(inline, token.file, _sub_range(token, len(name) + 1))

        def take_value(value_token: Token | None = value_token) -> Token | None:
            nonlocal index
            if value_token is not None:
                return value_token
            if index < len(tokens) and not _looks_like_flag(tokens[index].text):
                index += 1
                return tokens[index - 1]
            return None

        if name in table.config_flags:
            value = take_value()
            if value is None:
                parsed.invalid.append(KeyNote(name, token.file, token.range, f"`{name}` needs a file path"))
            else:
                _config_path(table, parsed, token, name, value, bool(equals))
            continue
        ambiguous = table.ambiguity(name)
        if ambiguous:
            parsed.invalid.append(KeyNote(
                name, token.file, _sub_range(token, 0) if not equals else token.range,
                f"ambiguous option: {name} could match {', '.join(ambiguous)}", ambiguous[0]))
            take_value()
            continue
        spelling = table.abbreviation(name) or name
        dotted = ""
        if table.cli_underscores and "." in spelling:
            spelling, _, dotted = table.normalize_cli(spelling).partition(".")
        flag = table.cli_flag(spelling)
        negated = False
        if flag is None and table.negatable and table.normalize_cli(spelling).startswith("--no-"):
            candidate = table.cli_flag("--" + table.normalize_cli(spelling)[5:])
            if candidate is not None and candidate.kind == BOOL:
                flag, negated = candidate, True
        if flag is None:
            expansions = table.expansions(spelling)
            if len(expansions) > 1:
                parsed.invalid.append(KeyNote(name, token.file, token.range,
                                              f"ambiguous option: {name} could match {', '.join(expansions)}",
                                              expansions[0]))
                take_value()
                continue
            flag = table.cli_flag(expansions[0]) if expansions else None
            if expansions and flag is None:
                name = expansions[0]  # an abbreviation of an option parlint does not model
        if flag is None:
            _unknown_flag(table, parsed, token, name, take_value, index == len(tokens) - 1)
            continue
        if flag.removed:
            parsed.unknown.append(KeyNote(name, token.file, token.range, flag.note or f"{name} was removed",
                                          flag.removed))
            continue
        if flag.ignored_on_cli:
            parsed.deprecated.append(KeyNote(name, token.file, token.range, f"{name}: {flag.ignored_on_cli}",
                                             flag.key))
            if flag.kind not in (BOOL, STORE_TRUE):
                take_value()
            continue
        if flag.deprecated:
            parsed.deprecated.append(KeyNote(name, token.file, token.range,
                                             flag.note or f"{name} is deprecated", flag.deprecated))
        if flag.kind in (BOOL, STORE_TRUE):
            if equals and flag.kind == STORE_TRUE:
                parsed.invalid.append(KeyNote(name, token.file, token.range, f"{name} takes no value"))
                continue
            _store(parsed, flag, not negated, token, name, flag.setting)
            continue
        if flag.kind == LIST:
            values = [value_token] if value_token else []
            while not equals and index < len(tokens) and not _looks_like_flag(tokens[index].text):
                values.append(tokens[index])
                index += 1
            if values:
                where = Token(" ".join(item.text for item in values), token.file,
                              Range(values[0].range.start, values[-1].range.end))
                _store(parsed, flag, [item.text for item in values], where, name, flag.setting)
            else:
                parsed.invalid.append(KeyNote(name, token.file, token.range, f"{name} expects a value"))
            continue
        value = take_value()
        if value is None:
            parsed.invalid.append(KeyNote(name, token.file, token.range, f"{name} expects a value"))
            continue
        if dotted:
            _store_sub(parsed, flag, dotted, value, f"{name}")
        elif flag.kind == JSON:
            _store_json(parsed, flag, value, name)
        else:
            _store(parsed, flag, value.text, value, name, flag.setting)
    launcher_gpus = parsed.settings.pop("launcher_gpus", None)
    if launcher_gpus is not None and launcher_gpus.value != -1:
        nodes = parsed.settings.get("nnodes")
        parsed.supply.append(GpuSupply(launcher_gpus, "node", f"deepspeed {launcher_gpus.spelling}",
                                       nodes.value if nodes is not None and nodes.value > 0 else 1))
    if parsed.settings.get("model") and parsed.model is None:
        parsed.model = parsed.settings.pop("model")
    else:
        parsed.settings.pop("model", None)
    return parsed


def _config_path(table: EngineFlags, parsed: ParsedArgs, token: Token, name: str, value: Token,
                 inline: bool) -> None:
    """Record ``--config PATH`` unless the engine would not read it (frameworks.md §1.2, §2.2:
    ``FlexibleArgumentParser._pull_args_from_config``, ``ConfigArgumentMerger``)."""
    if table.config_pair_only and inline:
        parsed.unknown.append(KeyNote(name, token.file, token.range, f"{table.engine} reads a config file only "
                                      f"from the two words `{name} PATH`: `{token.text}` is accepted but the "
                                      "file is never read", f"{name} {value.text}"))
        return
    if parsed.config is not None and table.config_suffix_error:  # vLLM and SGLang allow one; click keeps the last
        parsed.invalid.append(KeyNote(name, token.file, token.range, f"only one `{name}` is allowed"))
        return
    if table.config_suffix_error and not value.text.endswith((".yaml", ".yml")):
        parsed.invalid.append(KeyNote(name, value.file, value.range, f"{table.engine} reads only .yaml/.yml "
                                      f"config files: \"{table.config_suffix_error}\""))
        return
    parsed.config = Sourced(value.text, value.file, value.range, name)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_like_flag(text: str) -> bool:
    return text.startswith("-") and len(text) > 1 and not _is_number(text)


def _unknown_flag(table: EngineFlags, parsed: ParsedArgs, token: Token, name: str, take_value: Any,
                  is_last: bool) -> None:
    """An option outside the table: a real one parlint does not model, or a typo of one (reported)."""
    closest = table.closest_cli(name)
    if closest is not None:
        parsed.unknown.append(KeyNote(name, token.file, token.range,
                                      f"unrecognized {table.engine} argument {name}", closest))
    else:
        parsed.other.append(Sourced(token.text, token.file, token.range, name))
    # The arity of a flag parlint does not know is unknown: a following non-flag word is taken as its value,
    # unless it is the last word while the model is still missing (``vllm serve --flag org/model``).
    last_word_is_model = (is_last and table.positional_model and parsed.model is None
                          and "model" not in parsed.settings)  # ``--model X`` names it until the end
    if "=" not in token.text and not last_word_is_model:
        take_value()


def _store(parsed: ParsedArgs, flag: Flag, raw: Any, where: Token, spelling: str, setting: str | None,
           kind: str | None = None) -> None:
    value, problem = coerce(flag, raw, kind)
    if problem:
        parsed.invalid.append(KeyNote(spelling, where.file, where.range, problem))
        return
    if setting is not None and (value is not None or flag.nullable):
        parsed.settings[setting] = Sourced(value, where.file, where.range, spelling)


def _store_sub(parsed: ParsedArgs, flag: Flag, sub_key: str, value: Token, spelling: str) -> None:
    for key, setting, kind in flag.subsettings:
        if key == sub_key:
            _store(parsed, flag, value.text, value, f"{spelling}", setting, kind)
            return


def _store_json(parsed: ParsedArgs, flag: Flag, value: Token, spelling: str) -> None:
    data, problem = coerce(flag, value.text)
    if problem:
        parsed.invalid.append(KeyNote(spelling, value.file, value.range, problem))
        return
    if isinstance(data, dict):
        for key, setting, kind in flag.subsettings:
            if key in data:
                _store(parsed, flag, data[key], value, f"{spelling}.{key}", setting, kind)
