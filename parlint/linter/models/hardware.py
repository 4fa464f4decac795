"""GPU table: usable memory and NVLink (or Infinity Fabric) domain size, matched by the names users write.

Memory is the total the driver reports (``nvidia-smi`` / ``rocm-smi``, MiB), which is what the engines
multiply by their memory-utilization setting (vLLM ``gpu_memory_utilization`` uses
``torch.cuda.mem_get_info`` totals). The NVLink domain is how many GPUs share one all-to-all NVLink /
xGMI fabric: 8 on HGX / OAM boards, 72 in a GB200 NVL72 rack, 2 for NVLink-bridged PCIe pairs, 1 without.

Names are matched the way they appear in Kubernetes node labels (``nvidia.com/gpu.product:
NVIDIA-H100-80GB-HBM3``), SkyPilot accelerators (``H100``, ``A100-80GB``, ``A100``) and plain text
(``h100 sxm``, ``AMD Instinct MI300X``), case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class GpuSpec:
    name: str
    memory_bytes: int
    nvlink_domain: int
    vendor: str = "nvidia"
    form: str = "sxm"  # "sxm" (HGX/OAM board), "pcie", "nvl" (PCIe pairs), "superchip"

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / 1024**3


GPUS: tuple[GpuSpec, ...] = (
    GpuSpec("H100-80GB", 81559 * MIB, 8),
    GpuSpec("H100-PCIe-80GB", 81559 * MIB, 1, form="pcie"),
    GpuSpec("H100-NVL-94GB", 95830 * MIB, 2, form="nvl"),
    GpuSpec("H200-141GB", 143771 * MIB, 8),
    GpuSpec("H20-96GB", 97871 * MIB, 8),
    GpuSpec("GH200-96GB", 97871 * MIB, 1, form="superchip"),
    GpuSpec("GH200-144GB", 146831 * MIB, 1, form="superchip"),
    GpuSpec("A100-40GB", 40960 * MIB, 8),
    GpuSpec("A100-PCIe-40GB", 40960 * MIB, 2, form="pcie"),
    GpuSpec("A100-80GB", 81920 * MIB, 8),
    GpuSpec("A100-PCIe-80GB", 81920 * MIB, 2, form="pcie"),
    GpuSpec("L40S", 46068 * MIB, 1, form="pcie"),
    GpuSpec("L4", 23034 * MIB, 1, form="pcie"),
    GpuSpec("A10G", 23028 * MIB, 1, form="pcie"),
    GpuSpec("B200", 183359 * MIB, 8),
    GpuSpec("GB200", 189471 * MIB, 72, form="superchip"),
    GpuSpec("MI300X", 196592 * MIB, 8, vendor="amd"),
    GpuSpec("MI325X", 262144 * MIB, 8, vendor="amd"),
    GpuSpec("MI355X", 294912 * MIB, 8, vendor="amd"),
)

# The model token of each spec, and the memory (GB) the bare model name means (SkyPilot "A100" = 40GB).
DEFAULT_MEMORY_GB = {"h100": 80, "h200": 141, "h20": 96, "gh200": 96, "a100": 40}
VENDOR_WORDS = ("nvidia", "amd", "instinct", "tesla", "radeon")


def _model_token(spec: GpuSpec) -> str:
    return spec.name.split("-", 1)[0].lower()


def _memory_gb(spec: GpuSpec) -> int | None:
    found = re.search(r"(\d+)GB", spec.name)
    return int(found.group(1)) if found else None


def _tokens(name: str) -> list[str]:
    text = re.sub(r"^nvidia\.com/gpu\.product\s*[:=]\s*", "", name.strip().lower())
    tokens = [token for token in re.split(r"[-_\s./]+", text) if token and token not in VENDOR_WORDS]
    # "80gb" may be written "80 gb" or "80g".
    merged: list[str] = []
    for token in tokens:
        if token in {"gb", "g"} and merged and merged[-1].isdigit():
            merged[-1] += "gb"
        else:
            merged.append(re.sub(r"^(\d+)g$", r"\1gb", token))
    return merged


def find_gpu(name: str) -> GpuSpec | None:
    """The GPU a user-written name means, or None when it is not in the table."""
    if not isinstance(name, str) or not name.strip():
        return None
    tokens = _tokens(name)
    if not tokens:
        return None
    model = tokens[0]
    memory = next((int(token[:-2]) for token in tokens if re.fullmatch(r"\d+gb", token)), None)
    if "nvl" in tokens or (model == "h100" and memory == 94):
        form = "nvl"
    elif "pcie" in tokens:
        form = "pcie"
    else:
        form = ""
    candidates = [spec for spec in GPUS if _model_token(spec) == model]
    if not candidates:
        return None
    wanted_memory = memory or DEFAULT_MEMORY_GB.get(model)
    if wanted_memory is not None and any(_memory_gb(spec) for spec in candidates):
        sized = [spec for spec in candidates if _memory_gb(spec) in (wanted_memory, None)]
        if form == "nvl" and model == "h100":
            sized = [spec for spec in candidates if spec.form == "nvl"]
        candidates = sized or candidates
    if form:
        candidates = [spec for spec in candidates if spec.form == form] or candidates
    else:
        candidates = [spec for spec in candidates if spec.form in {"sxm", "superchip"}] or candidates
    return candidates[0]


def gpu_names() -> list[str]:
    return [spec.name for spec in GPUS]
