"""Benchmark parlint against yamllint on a synthetic config repository.

    pip install -e '.[bench]' && python bench/run.py            # 5,000 files, scaling 1,000 / 5,000
    python bench/run.py --files 5000 --scaling 1000,5000,50000   # the full scaling run

The generated repository mixes vLLM / SGLang / TensorRT-LLM YAML, DeepSpeed JSON, Kubernetes manifests
with launch commands, production-stack Helm values, shell scripts, Markdown run-books and unrelated
YAML/JSON (CI workflows, plain manifests) that parlint must skip; about one file in eight holds a real
violation. Every command runs as a whole process; each figure is the median of ``--runs`` runs, with
the compared commands alternated run by run so both see the same machine state.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MODELS = [
    ("meta-llama/Llama-3.1-70B-Instruct", False),
    ("meta-llama/Llama-3.1-8B-Instruct", False),
    ("Qwen/Qwen2.5-72B-Instruct", False),
    ("Qwen/Qwen3-32B", False),
    ("deepseek-ai/DeepSeek-V3", True),
    ("Qwen/Qwen3-235B-A22B", True),
    ("mistralai/Mixtral-8x7B-v0.1", True),
]


def _vllm(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, moe = rng.choice(MODELS)
    tp = rng.choice([6, 3]) if bad else rng.choice([1, 2, 4, 8])
    lines = [f"# vllm serve --config serve.yaml  ({rng.randint(1, 999)})", f"model: {model}",
             f"tensor-parallel-size: {tp}", f"max-model-len: {rng.choice([8192, 32768])}",
             f"gpu-memory-utilization: {rng.choice([0.85, 0.9, 0.92])}"]
    if moe:
        lines.append("enable-expert-parallel: true")
    return "yaml", "\n".join(lines) + "\n"


def _sglang(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, _ = rng.choice(MODELS)
    tp = 8
    attn_dp = rng.choice([3, 6]) if bad else rng.choice([1, 2, 4, 8])
    return "yaml", (f"# python -m sglang.launch_server --config sglang.yaml\nmodel-path: {model}\ntp-size: {tp}\n"
                    f"attn-dp-size: {attn_dp}\nmem-fraction-static: 0.85\n")


def _trtllm(rng: random.Random, bad: bool) -> tuple[str, str]:
    ep = 4 if bad else 8
    return "yaml", ("# trtllm-serve deepseek-ai/DeepSeek-R1 --config extra.yaml\ntensor_parallel_size: 8\n"
                    f"moe_expert_parallel_size: {ep}\nmoe_tensor_parallel_size: 1\nenable_attention_dp: true\n")


def _deepspeed(rng: random.Random, bad: bool) -> tuple[str, str]:
    tp = 3 if bad else rng.choice([1, 2, 4, 8])
    return "json", json.dumps({"dtype": "fp16", "tensor_parallel": {"tp_size": tp},
                               "replace_with_kernel_inject": True, "max_tokens": 2048}, indent=2) + "\n"


def _k8s(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, _ = rng.choice(MODELS)
    gpus = 4 if bad else 8
    return "yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm-{rng.randint(1, 99999)}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: vllm}}}}
  template:
    metadata: {{labels: {{app: vllm}}}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.33.0
          args: ["--model", "{model}", "--tensor-parallel-size", "8"]
          resources:
            limits:
              nvidia.com/gpu: {gpus}
          volumeMounts: [{{name: shm, mountPath: /dev/shm}}]
      volumes:
        - name: shm
          emptyDir: {{medium: Memory, sizeLimit: 16Gi}}
"""


def _helm(rng: random.Random, bad: bool) -> tuple[str, str]:
    request = 4 if bad else 8
    return "yaml", f"""servingEngineSpec:
  modelSpec:
    - name: llama70b
      repository: vllm/vllm-openai
      tag: v0.33.0
      modelURL: meta-llama/Llama-3.1-70B-Instruct
      replicaCount: 1
      requestCPU: 16
      requestMemory: 128Gi
      requestGPU: {request}
      vllmConfig:
        tensorParallelSize: 8
        maxModelLen: 32768
"""


def _shell(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, _ = rng.choice(MODELS)
    broken = " # long context" if bad else ""
    return "sh", f"""#!/usr/bin/env bash
set -euo pipefail
MODEL="${{MODEL:-{model}}}"
vllm serve "$MODEL" \\
  --tensor-parallel-size 8 \\{broken}
  --max-model-len 32768 \\
  --port 8000
"""


def _markdown(rng: random.Random, bad: bool) -> tuple[str, str]:
    tp = 6 if bad else 8
    return "md", f"""# Run-book: serving Llama 3.1 70B

Start the server on one 8-GPU node:

```bash
vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size {tp} --max-model-len 32768
```
"""


def _workflow(rng: random.Random, bad: bool) -> tuple[str, str]:
    return "yaml", f"""name: ci-{rng.randint(1, 9999)}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def _plain_manifest(rng: random.Random, bad: bool) -> tuple[str, str]:
    return "yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{rng.randint(1, 99999)}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"
"""


def _package_json(rng: random.Random, bad: bool) -> tuple[str, str]:
    return "json", json.dumps({"name": f"ui-{rng.randint(1, 9999)}", "version": "1.0.0",
                               "dependencies": {"react": "^18.0.0"}}, indent=2) + "\n"


KINDS: list[tuple[Callable[[random.Random, bool], tuple[str, str]], int]] = [
    (_vllm, 18), (_sglang, 8), (_trtllm, 5), (_deepspeed, 5), (_k8s, 14), (_helm, 6), (_shell, 8), (_markdown, 6),
    (_workflow, 14), (_plain_manifest, 10), (_package_json, 6),
]


def generate(root: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    makers = [maker for maker, weight in KINDS for _ in range(weight)]
    for index in range(count):
        maker = rng.choice(makers)
        suffix, text = maker(rng, rng.random() < 0.125)
        directory = root / f"team{index % 40:02d}" / maker.__name__.strip("_")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"file{index:06d}.{suffix}").write_text(text, encoding="utf-8")


def _timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and the peak RSS (KiB) of the command's largest process."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    output = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True, text=True,
                            check=True).stdout.split()
    if int(output[2]) not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {output[2]} in {cwd}")
    return float(output[0]), int(output[1])


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _import_time() -> float:
    """Total import time of the CLI module in ms, from ``python -X importtime`` (cumulative of the top import)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import parlint.linter.cli"],
                            capture_output=True, text=True, check=True)
    for line in result.stderr.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == "parlint.linter.cli":
            return int(parts[1]) / 1000
    raise RuntimeError("parlint.linter.cli missing from -X importtime output")


def measure(files: int, runs: int, workdir: Path) -> dict[str, float]:
    tree = workdir / f"repo-{files}"
    if not tree.exists():
        generate(tree, files)
    parlint = [sys.executable, "-m", "parlint", "--exit-zero", "-q", "."]
    yamllint = [sys.executable, "-m", "yamllint", "-d", "relaxed", "-f", "parsable", "."]
    cache = tree / ".parlint_cache"
    cold, warm, touched, baseline, rss = [], [], [], [], []
    sample = sorted(tree.rglob("file*.yaml"))
    for run in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        seconds, peak = _timed(parlint, tree)
        cold.append(seconds)
        rss.append(peak)
        warm.append(_timed(parlint, tree)[0])
        for path in sample[run::max(1, len(sample) // max(1, files // 100))][: max(1, files // 100)]:
            path.write_text(path.read_text() + f"# touched {run}\n")
        touched.append(_timed(parlint, tree)[0])
        baseline.append(_timed(yamllint, tree)[0])
    single_file = next(tree.rglob("*.yaml"))
    single = [_timed([sys.executable, "-m", "parlint", "--no-cache", "--exit-zero", str(single_file)], tree)[0]
              for _ in range(max(5, runs * 3))]
    return {
        "files": files,
        "cold_s": _median(cold),
        "warm_s": _median(warm),
        "touched_s": _median(touched),
        "yamllint_s": _median(baseline),
        "single_file_ms": _median(single) * 1000,
        "peak_rss_mb": max(rss) / 1024,
        "files_per_s": files / _median(cold),
        "us_per_file": _median(cold) / files * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000, help="size of the main tree (default 5000)")
    parser.add_argument("--scaling", default="1000,5000", help="comma list of tree sizes for the scaling table")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    args = parser.parse_args()
    if shutil.which("yamllint") is None and subprocess.run([sys.executable, "-m", "yamllint", "--version"],
                                                          capture_output=True, check=False).returncode:
        print("yamllint is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="parlint-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted({args.files, *(int(size) for size in args.scaling.split(",") if size)})
    started = time.time()
    results = [measure(size, args.runs, workdir) for size in sizes]
    imports = _median([_import_time() for _ in range(7)])
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"CLI import time (python -X importtime, median of 7): {imports:.1f} ms\n")
    header = ("files", "cold s", "warm s", "1% touched s", "yamllint s", "cold/yamllint", "warm/yamllint",
              "one file ms", "files/s", "us/file", "peak RSS MB")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in results:
        print(" | ".join([
            f"{row['files']:.0f}", f"{row['cold_s']:.2f}", f"{row['warm_s']:.2f}", f"{row['touched_s']:.2f}",
            f"{row['yamllint_s']:.2f}", f"1/{row['yamllint_s'] / row['cold_s']:.1f}",
            f"1/{row['yamllint_s'] / row['warm_s']:.1f}", f"{row['single_file_ms']:.0f}",
            f"{row['files_per_s']:.0f}", f"{row['us_per_file']:.0f}", f"{row['peak_rss_mb']:.0f}",
        ]))
    print(f"\n(benchmark took {time.time() - started:.0f} s; trees in {workdir})")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
