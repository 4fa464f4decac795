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

DENSE = ["meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-72B-Instruct",
         "Qwen/Qwen3-32B"]
MOE = ["deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-235B-A22B", "mistralai/Mixtral-8x7B-v0.1"]


def _model(rng: random.Random) -> tuple[str, bool]:
    moe = rng.random() < 0.3
    return rng.choice(MOE if moe else DENSE), moe


def _vllm(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, moe = _model(rng)
    tp = rng.choice([6, 3]) if bad else 8
    lines = [f"# vllm serve --config serve.yaml   (service {rng.randint(1, 999)})",
             "# Owner: inference-platform; reviewed with the capacity plan for this quarter.",
             f"model: {model}", f"served-model-name: svc-{rng.randint(1, 999)}", f"tensor-parallel-size: {tp}",
             f"max-model-len: {rng.choice([8192, 16384, 32768])}", "gpu-memory-utilization: 0.9",
             "max-num-seqs: 256", "enable-prefix-caching: true", "max-num-batched-tokens: 8192",
             "port: 8000", "host: 0.0.0.0", "trust-remote-code: true"]
    if moe:
        lines.append("enable-expert-parallel: true")
    return "yaml", "\n".join(lines) + "\n"


def _sglang(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, moe = _model(rng)
    attn_dp = rng.choice([3, 6]) if bad else rng.choice([1, 2, 4, 8])
    ep = "ep-size: 8\n" if moe else ""
    return "yaml", (f"# python -m sglang.launch_server --config sglang.yaml\nmodel-path: {model}\ntp-size: 8\n"
                    f"attn-dp-size: {attn_dp}\n{ep}mem-fraction-static: 0.85\nchunked-prefill-size: 8192\n"
                    "context-length: 32768\nhost: 0.0.0.0\nport: 30000\n")


def _trtllm(rng: random.Random, bad: bool) -> tuple[str, str]:
    ep = 4 if bad else 8
    return "yaml", ("# trtllm-serve deepseek-ai/DeepSeek-R1 --config extra.yaml\ntensor_parallel_size: 8\n"
                    f"moe_expert_parallel_size: {ep}\nmoe_tensor_parallel_size: 1\nenable_attention_dp: true\n"
                    "attention_dp_config:\n  enable_balance: true\nmoe_config:\n  backend: WIDEEP\n"
                    "cuda_graph_config:\n  enable_padding: true\n  max_batch_size: 256\n"
                    "kv_cache_config:\n  free_gpu_memory_fraction: 0.85\n")


def _deepspeed(rng: random.Random, bad: bool) -> tuple[str, str]:
    tp = 3 if bad else rng.choice([1, 2, 4, 8])
    return "json", json.dumps({"dtype": "fp16", "tensor_parallel": {"tp_size": tp},
                               "replace_with_kernel_inject": True, "max_tokens": 2048}, indent=2) + "\n"


def _k8s(rng: random.Random, bad: bool) -> tuple[str, str]:
    model, moe = _model(rng)
    if model == "deepseek-ai/DeepSeek-V3":  # 685 GB of FP8 weights: not one 8 x H100-80GB node
        model = "mistralai/Mixtral-8x7B-v0.1"
    gpus = 4 if bad else 8
    ep = ', "--enable-expert-parallel"' if moe else ""
    name = f"vllm-{rng.randint(1, 99999)}"
    return "yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: inference
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: llm-serving
    team: platform
spec:
  replicas: 1
  strategy:
    type: Recreate
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "8000"
    spec:
      nodeSelector:
        nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
      tolerations:
        - key: nvidia.com/gpu
          operator: Exists
          effect: NoSchedule
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.33.0
          args: ["--model", "{model}", "--tensor-parallel-size", "8", "--max-model-len", "32768"{ep}]
          ports:
            - containerPort: 8000
              name: http
          env:
            - name: HF_HOME
              value: /models/hf
            - name: HF_TOKEN
              valueFrom:
                secretKeyRef: {{name: hf-token, key: token}}
          resources:
            limits:
              nvidia.com/gpu: {gpus}
              memory: 400Gi
            requests:
              nvidia.com/gpu: {gpus}
              cpu: "32"
              memory: 400Gi
          readinessProbe:
            httpGet: {{path: /health, port: 8000}}
            initialDelaySeconds: 120
            periodSeconds: 10
          livenessProbe:
            httpGet: {{path: /health, port: 8000}}
            initialDelaySeconds: 600
            periodSeconds: 30
          volumeMounts:
            - {{name: shm, mountPath: /dev/shm}}
            - {{name: models, mountPath: /models}}
      volumes:
        - name: shm
          emptyDir: {{medium: Memory, sizeLimit: 16Gi}}
        - name: models
          persistentVolumeClaim: {{claimName: model-cache}}
"""


def _helm(rng: random.Random, bad: bool) -> tuple[str, str]:
    request = 4 if bad else 8
    return "yaml", f"""# values.yaml for the vLLM production-stack chart
servingEngineSpec:
  runtimeClassName: nvidia
  modelSpec:
    - name: llama70b
      repository: vllm/vllm-openai
      tag: v0.33.0
      modelURL: meta-llama/Llama-3.1-70B-Instruct
      replicaCount: 1
      requestCPU: 16
      requestMemory: 128Gi
      requestGPU: {request}
      pvcStorage: 200Gi
      vllmConfig:
        tensorParallelSize: 8
        maxModelLen: 32768
        enablePrefixCaching: true
      env:
        - name: VLLM_LOGGING_LEVEL
          value: INFO
routerSpec:
  repository: lmcache/lmstack-router
  tag: latest
  replicaCount: 1
  routingLogic: roundrobin
"""


def _shell(rng: random.Random, bad: bool) -> tuple[str, str]:
    model = rng.choice(DENSE)
    broken = " # long context" if bad else ""
    return "sh", f"""#!/usr/bin/env bash
# Start the serving engine on one 8-GPU node. Usage: ./serve.sh [model]
set -euo pipefail
MODEL="${{1:-{model}}}"
PORT="${{PORT:-8000}}"
export VLLM_LOGGING_LEVEL=INFO
echo "serving $MODEL on port $PORT"
vllm serve "$MODEL" \\
  --tensor-parallel-size 8 \\{broken}
  --max-model-len 32768 \\
  --gpu-memory-utilization 0.9 \\
  --port "$PORT"
"""


def _markdown(rng: random.Random, bad: bool) -> tuple[str, str]:
    tp = 6 if bad else 8
    return "md", f"""# Run-book: serving Llama 3.1 70B

This service runs on one node with eight H100-80GB GPUs. The weights are cached on the node's NVMe
volume; the first start downloads about 140 GB.

## Start

```bash
vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size {tp} --max-model-len 32768
```

## Health

```bash
curl -s localhost:8000/health
```

Escalate to #inference-oncall when the health check fails for more than five minutes.
"""


def _workflow(rng: random.Random, bad: bool) -> tuple[str, str]:
    return "yaml", f"""name: ci-{rng.randint(1, 9999)}
on:
  push:
    branches: [main]
  pull_request:
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt
      - run: make lint
  test:
    runs-on: ubuntu-latest
    needs: lint
    strategy:
      matrix:
        shard: [1, 2, 3, 4]
    steps:
      - uses: actions/checkout@v4
      - run: make test SHARD=${{{{ matrix.shard }}}}
"""


def _plain_manifest(rng: random.Random, bad: bool) -> tuple[str, str]:
    return "yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{rng.randint(1, 99999)}
  namespace: inference
  labels:
    team: platform
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"
  RATE_LIMIT: "100"
  UPSTREAM: http://gateway.inference.svc:8080
"""


def _package_json(rng: random.Random, bad: bool) -> tuple[str, str]:
    return "json", json.dumps({"name": f"ui-{rng.randint(1, 9999)}", "version": "1.0.0", "private": True,
                               "scripts": {"build": "vite build", "test": "vitest"},
                               "dependencies": {"react": "^18.0.0", "react-dom": "^18.0.0"}}, indent=2) + "\n"


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
    # Measure parlint as installed packages run: with bytecode. (An environment with PYTHONDONTWRITEBYTECODE,
    # or an editable checkout never imported before, would otherwise compile every module on every run.)
    import compileall

    import parlint

    compileall.compile_dir(str(Path(parlint.__file__).parent), quiet=1)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="parlint-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted({args.files, *(int(size) for size in args.scaling.split(",") if size)})
    started = time.time()
    results = [measure(size, args.runs, workdir) for size in sizes]
    imports = _median([_import_time() for _ in range(7)])
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"CLI import time (python -X importtime, median of 7): {imports:.1f} ms\n")
    header = ("files", "cold s", "warm s", "1% touched s", "yamllint s", "cold/yamllint", "warm/yamllint",
              "one file ms", "files/s", "us/file", "marginal us/file", "peak RSS MB")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    previous: dict[str, float] | None = None
    for row in results:
        # The cost of each further file, from the previous (smaller) tree: the fixed start-up cancels out.
        marginal = "-" if previous is None else \
            f"{(row['cold_s'] - previous['cold_s']) / (row['files'] - previous['files']) * 1e6:.0f}"
        print(" | ".join([
            f"{row['files']:.0f}", f"{row['cold_s']:.2f}", f"{row['warm_s']:.2f}", f"{row['touched_s']:.2f}",
            f"{row['yamllint_s']:.2f}", f"1/{row['yamllint_s'] / row['cold_s']:.1f}",
            f"1/{row['yamllint_s'] / row['warm_s']:.1f}", f"{row['single_file_ms']:.0f}",
            f"{row['files_per_s']:.0f}", f"{row['us_per_file']:.0f}", marginal, f"{row['peak_rss_mb']:.0f}",
        ]))
        previous = row
    print(f"\n(benchmark took {time.time() - started:.0f} s; trees in {workdir})")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
