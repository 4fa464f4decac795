"""Launch commands and GPU supply in Kubernetes, compose, production-stack values and SkyPilot YAML."""

from __future__ import annotations

from parlint.linter.diagnostics import Position
from parlint.linter.launch import Launch, extract_documents
from parlint.linter.loader import load_text


def _launch(text: str) -> Launch:
    return extract_documents(load_text("deploy.yaml", text))


LWS = """\
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata: {name: vllm}
spec:
  leaderWorkerTemplate:
    size: 2
    leaderTemplate:
      spec:
        containers:
          - name: leader
            image: vllm/vllm-openai:v0.33.0
            command: ["sh", "-c", "vllm serve m --tensor-parallel-size 8 --pipeline-parallel-size $(LWS_GROUP_SIZE)"]
            resources: {limits: {nvidia.com/gpu: "8"}}
    workerTemplate:
      spec:
        hostIPC: true
        containers:
          - name: worker
            image: vllm/vllm-openai:v0.33.0
            command: ["sh", "-c", "ray start --block --address=$(LWS_LEADER_ADDRESS):6379"]
            resources: {limits: {nvidia.com/gpu: "8"}}
"""


def test_leader_worker_set_group_supply_and_size_variable() -> None:
    launch = _launch(LWS)
    (plan,) = launch.plans
    assert (plan.get("tp"), plan.get("pp")) == (8, 2)
    (supply,) = plan.supply
    assert (supply.scope, supply.count.value, supply.units) == ("node", 8, 2)
    assert supply.count.range.start == Position(13, 51)
    assert plan.settings["tp"].range.start == Position(12, 72)
    (pod,) = launch.pods
    assert not pod.shm and not pod.host_ipc


def test_args_only_container_runs_the_image_entrypoint_with_env_and_gpu_type() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: llama}
spec:
  replicas: 3
  template:
    spec:
      hostIPC: true
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: nvidia.com/gpu.product, operator: In, values: [NVIDIA-A100-SXM4-80GB]}
      containers:
        - name: vllm
          image: docker.io/vllm/vllm-openai:v0.33.0
          env:
            - {name: TP, value: "4"}
            - {name: CUDA_VISIBLE_DEVICES, value: "0,1"}
          args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size=$(TP)"]
          resources: {limits: {nvidia.com/gpu: 4}}
"""
    launch = _launch(text)
    (plan,) = launch.plans
    assert plan.get("tp") == 4 and plan.settings["tp"].range.start == Position(21, 67)
    assert [(item.scope, item.count.value, item.units) for item in plan.supply] == [
        ("node", 4, 1), ("process", 2, 1)]  # replicas are independent engines
    assert plan.gpu is not None and plan.gpu.value == "NVIDIA-A100-SXM4-80GB"
    assert launch.pods[0].host_ipc


def test_kuberay_style_shell_command_with_the_script_in_args() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:latest
      command: ["/bin/bash", "-lc", "--"]
      args: ["ulimit -n 65536; vllm serve m --tensor-parallel-size 4"]
"""
    [plan] = _launch(text).plans
    assert plan.get("tp") == 4 and plan.settings["tp"].range.start == Position(9, 68)


def test_unknown_env_value_makes_the_degree_unknown() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: sglang
      image: lmsysorg/sglang:latest
      env:
        - name: TP
          valueFrom: {configMapKeyRef: {name: cfg, key: tp}}
      command: ["python3", "-m", "sglang.launch_server", "--model-path", "m", "--tp", "$(TP)"]
      resources: {limits: {nvidia.com/gpu: 1}}
"""
    assert _launch(text).plans == []


def test_ray_cluster_head_engine_sees_the_whole_cluster() -> None:
    text = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: r}
spec:
  headGroupSpec:
    template:
      spec:
        containers:
          - name: head
            image: rayproject/ray:2.40.0-gpu
            command: ["/bin/bash", "-c", "ray start --head && vllm serve m --tensor-parallel-size 8 -pp 2"]
            resources: {limits: {nvidia.com/gpu: 8}}
  workerGroupSpecs:
    - replicas: 1
      template:
        spec:
          containers:
            - name: worker
              image: rayproject/ray:2.40.0-gpu
              resources: {limits: {nvidia.com/gpu: 8}}
"""
    (plan,) = _launch(text).plans
    assert [(item.scope, item.count.value) for item in plan.supply] == [("total", 16)]


def test_compose_command_string_devices_and_environment() -> None:
    text = """\
services:
  vllm:
    image: vllm/vllm-openai:v0.33.0
    environment:
      - CUDA_VISIBLE_DEVICES=0,1,2,3
    command: --model Qwen/Qwen3-32B --tensor-parallel-size 4
    deploy:
      resources:
        reservations:
          devices:
            - {driver: nvidia, device_ids: ["0", "1"], capabilities: [gpu]}
"""
    (plan,) = _launch(text).plans
    assert plan.get("tp") == 4 and plan.settings["tp"].range.start == Position(6, 60)
    assert [(item.scope, item.count.value) for item in plan.supply] == [("node", 2), ("process", 4)]
    # An image chosen by interpolation runs its default's entrypoint.
    for image in ("${VLLM_IMAGE:-vllm/vllm-openai:v0.6.6}", "${VLLM_IMAGE-vllm/vllm-openai:latest}"):
        chosen = f"services:\n  vllm:\n    image: {image}\n    command: --model m --tensor-parallel-size 2\n"
        assert [plan.get("tp") for plan in _launch(chosen).plans] == [2], image


def test_production_stack_values() -> None:
    text = """\
servingEngineSpec:
  modelSpec:
    - name: llama
      modelURL: meta-llama/Llama-3.1-70B-Instruct
      requestGPU: 4
      tensorParallelSize: 4
      vllmConfig:
        maxModelLen: 8192
        pipelineParallelSize: 2
        extraArgs: ["--tensor-parallel-size", "2"]
"""
    launch = _launch(text)
    (plan,) = launch.plans
    assert plan.model is not None and plan.model.range.start == Position(4, 17)
    assert plan.get("tp") == 2 and plan.get("pp") is None and plan.get("max_model_len") == 8192
    assert [(note.spelling, note.range.start, note.replacement) for note in plan.unknown_keys] == [
        ("tensorParallelSize", Position(6, 7), "vllmConfig.tensorParallelSize"),
        ("pipelineParallelSize", Position(9, 9), "--pipeline-parallel-size in vllmConfig.extraArgs")]
    assert [(item.scope, item.count.value) for item in plan.supply] == [("node", 4)]
    assert not launch.pods[0].shm  # TP only through extraArgs: the chart mounts no /dev/shm


def test_skypilot_every_accelerator_alternative_is_a_plan() -> None:
    text = """\
resources:
  accelerators: {H100: 8, L40S: 4}
num_nodes: 2
envs:
  MODEL: meta-llama/Llama-3.1-70B-Instruct
run: |
  vllm serve $MODEL --tensor-parallel-size $SKYPILOT_NUM_GPUS_PER_NODE --pipeline-parallel-size $SKYPILOT_NUM_NODES
"""
    plans = _launch(text).plans
    assert [(plan.gpu.value if plan.gpu else None, plan.get("tp"), plan.get("pp")) for plan in plans] == [
        ("H100", 8, 2), ("L40S", 4, 2)]
    assert [(item.count.value, item.units) for item in plans[1].supply] == [(4, 2)]
    assert plans[0].settings["tp"].range.start == Position(7, 44)
    assert plans[0].model is not None and plans[0].model.value == "meta-llama/Llama-3.1-70B-Instruct"


def test_skypilot_count_sets_and_lists() -> None:
    text = ('resources:\n  accelerators: ["A100-80GB:{4, 8}", "H100"]\n'
            'run: vllm serve m -tp $SKYPILOT_NUM_GPUS_PER_NODE\n')
    assert [plan.get("tp") for plan in _launch(text).plans] == [4, 8, 1]
    # The documented set form: `{H100:8, H200:8}` (no space after the colon) is two keys without values.
    unordered = "resources:\n  accelerators: {H100:8, H200:4}\nrun: vllm serve m -tp $SKYPILOT_NUM_GPUS_PER_NODE\n"
    plans = _launch(unordered).plans
    assert [(plan.gpu.value if plan.gpu else None, plan.get("tp")) for plan in plans] == [("H100", 8), ("H200", 4)]


def test_github_workflow_run_steps_with_workflow_job_and_step_env() -> None:
    text = """\
name: smoke
on: [pull_request]
env: {MODEL: meta-llama/Llama-3.1-70B-Instruct, TP: 2}
jobs:
  serve:
    runs-on: [self-hosted, gpu]
    env: {TP: 4, PP: "${{ matrix.pp }}"}
    steps:
      - uses: actions/checkout@v4
      - run: vllm serve "$MODEL" --tensor-parallel-size "$TP"
      - env: {TP: 8}
        run: |
          vllm serve "$MODEL" -tp "$TP" \\ # trailing comment
            --max-model-len 8192
      - run: vllm serve "$MODEL" -tp 2 --pipeline-parallel-size "$PP"
      - run: vllm serve "$MODEL" -tp ${{ matrix.tp }}
  lint:
    runs-on: ubuntu-latest
    steps: [{run: make lint}]
"""
    launch = _launch(text)
    assert [(plan.dialect, plan.get("tp")) for plan in launch.plans] == [("github-actions", 4), ("github-actions", 8)]
    assert launch.plans[1].settings["tp"].range.start == Position(13, 35)
    assert [item.range.start.line for item in launch.broken] == [13]
    assert _launch("jobs:\n  a: {steps: [{run: vllm serve m -tp 4}]}\n").plans == []  # no `on:`: no workflow


def test_plain_yaml_without_launch_commands_is_empty() -> None:
    # Speed is measured by bench/run.py, not asserted here (timings are flaky on shared CI machines).
    workflow = "name: ci\non: [push]\njobs:\n" + "".join(
        f"  job{index}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n" for index in range(2000))
    assert extract_documents(load_text("ci.yaml", workflow)) == Launch()
    manifest = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n"
    assert _launch(manifest) == Launch()


def test_config_map_scripts() -> None:
    text = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: start}
data:
  start.sh: |
    #!/bin/bash
    exec vllm serve meta-llama/Llama-3.1-8B-Instruct \\
      --tensor-parallel-size 2 \\  # two cards
      --port 8000
  notes.txt: vllm serve is started by start.sh
"""
    launch = _launch(text)
    (plan,) = launch.plans
    assert plan.settings["tp"].range.start == Position(8, 30)
    (broken,) = launch.broken
    assert broken.range.start == Position(8, 32) and [word.text for word in broken.dropped] == ["--port", "8000"]


def test_kserve_vllm_model_format_args() -> None:
    text = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llm}
spec:
  predictor:
    model:
      modelFormat: {name: vllm}
      runtime: vllm-runtime
      storageUri: pvc://models/llama-3.1-70b
      args: ["--tensor-parallel-size", "4", "--max-model-len", "{{ .Values.maxLen }}"]
      resources:
        requests: {nvidia.com/gpu: "1"}
"""
    launch = _launch(text)
    (plan,) = launch.plans
    assert plan.get("tp") == 4 and "max_model_len" not in plan.settings
    assert [(item.scope, item.count.value) for item in plan.supply] == [("node", 1)]
    assert not launch.pods[0].shm


def test_production_stack_ray_spec_reads_pipeline_parallel_size_and_counts_the_cluster() -> None:
    text = """\
servingEngineSpec:
  modelSpec:
    - name: llama405b
      modelURL: meta-llama/Llama-3.1-405B-Instruct
      replicaCount: 1
      requestGPU: 8
      vllmConfig:
        tensorParallelSize: 8
        pipelineParallelSize: 2
      raySpec:
        headNode:
          requestGPU: 8
"""
    launch = _launch(text)
    (plan,) = launch.plans
    assert (plan.get("tp"), plan.get("pp")) == (8, 2) and not plan.unknown_keys
    assert [(item.scope, item.count.value) for item in plan.supply] == [("total", 16)]
    assert launch.pods[0].shm


def test_exports_inside_a_container_script_reach_the_engine() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: vllm
      image: vllm/vllm-openai:v0.33.0
      command: ["/bin/bash", "-c"]
      args:
        - |
          export CUDA_VISIBLE_DEVICES=0,1
          vllm serve m --tensor-parallel-size 4
      resources: {limits: {nvidia.com/gpu: 4}}
"""
    (plan,) = _launch(text).plans
    assert [(item.scope, item.count.value, item.count.range.start) for item in plan.supply] == [
        ("node", 4, Position(13, 44)), ("process", 2, Position(11, 39))]


KSERVE = """\
apiVersion: serving.kserve.io/v1alpha2
kind: LLMInferenceService
metadata: {name: r1}
spec:
  model: {uri: "hf://deepseek-ai/DeepSeek-R1", name: r1}
  parallelism: {tensor: 2, data: 16, dataLocal: 4, expert: true}
  template:
    containers:
      - name: main
        args: ["--max-model-len", "8192"]
        env: [{name: VLLM_ADDITIONAL_ARGS, value: "--enforce-eager"}]
        resources: {limits: {nvidia.com/gpu: "8"}}
  worker:
    containers:
      - name: main
        resources: {limits: {nvidia.com/gpu: "8"}}
"""


def test_kserve_llm_inference_service_renders_the_template_command() -> None:
    [plan] = _launch(KSERVE).plans
    assert plan.dialect == "kserve-llmisvc" and plan.model is not None
    assert (plan.model.value, plan.model.range.start) == ("deepseek-ai/DeepSeek-R1", Position(5, 22))
    assert [plan.get(key) for key in ("tp", "dp", "dp_local", "enable_ep")] == [2, 16, 4, True]
    assert plan.settings["tp"].range.start == Position(6, 25)
    # data / dataLocal = 4 pods per group, each with its main container's 8 GPUs.
    assert [(item.scope, item.count.value, item.units) for item in plan.supply] == [("node", 8, 4)]


def test_kserve_single_node_ignores_data_and_the_webhook_refusals() -> None:
    single = KSERVE.replace("  worker:\n    containers:\n      - name: main\n"
                            "        resources: {limits: {nvidia.com/gpu: \"8\"}}\n", "")
    [plan] = _launch(single).plans
    assert plan.get("tp") == 2 and plan.get("dp") is None and plan.get("enable_ep") is None
    assert [note.spelling for note in plan.unknown_keys] == ["parallelism.data", "parallelism.dataLocal",
                                                            "parallelism.expert"]
    refused = _launch(KSERVE.replace(", dataLocal: 4", "")).plans[0].invalid_values
    assert [note.reason for note in refused] == ['KServe refuses it: "dataLocal must be set when data is set"']
    pipeline = KSERVE.replace("data: 16, dataLocal: 4", "pipeline: 2")
    assert _launch(pipeline).plans == []  # KServe ships no pipeline template: the command is unknown
    both = KSERVE.replace("data: 16,", "pipeline: 2, data: 16,")
    assert [note.reason for note in _launch(both).plans[0].invalid_values] == [
        'KServe refuses it: "cannot set both pipeline parallelism and data parallelism (data or dataLocal) '
        'simultaneously"']


def test_dynamo_graph_deployment_services_and_multinode_supply() -> None:
    text = """\
apiVersion: nvidia.com/v1alpha1
kind: DynamoGraphDeployment
metadata: {name: d}
spec:
  services:
    Frontend:
      componentType: frontend
      extraPodSpec: {mainContainer: {image: nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1}}
    decode:
      multinode: {nodeCount: 2}
      envs: [{name: TP, value: "8"}]
      resources: {limits: {gpu: "4"}}
      extraPodSpec:
        mainContainer:
          command: [python3, -m, dynamo.vllm]
          args: [--model, m, --tensor-parallel-size, $(TP), --is-decode-worker, --connector, none]
    sglang:
      resources: {limits: {gpu: "8"}}
      extraPodSpec:
        mainContainer: {command: [python3, -m, dynamo.sglang], args: [--model-path, m, --tp, "8"]}
"""
    plans = _launch(text).plans
    assert [(plan.engine, plan.get("tp"), plan.unknown_keys) for plan in plans] == [("vllm", 8, []), ("sglang", 8, [])]
    assert [(item.scope, item.count.value, item.units) for item in plans[0].supply] == [("node", 4, 2)]


def test_a_double_quoted_yaml_string_is_split_as_yaml_decodes_it() -> None:
    # KServe runs `vllm serve ... ${VLLM_ADDITIONAL_ARGS}`: YAML turns \" into " before the shell sees it.
    text = KSERVE.replace(
        'value: "--enforce-eager"',
        'value: "--kv-transfer-config \'{\\"kv_connector\\":\\"NixlConnector\\"}\' --max-num-seqs 64 -tp 4"')
    [plan] = _launch(text).plans
    assert not plan.invalid_values and plan.get("tp") == 4
    line = text.splitlines()[10]
    assert plan.settings["tp"].range.start == Position(11, line.index("-tp 4") + 5)
