"""The result cache never returns a stale result, and parallel runs equal serial, uncached runs."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

import parlint.linter.cache as cache_module
import parlint.linter.parallel as parallel
from parlint.linter.config import Settings
from parlint.linter.discovery import discover
from parlint.linter.parallel import lint_many
from parlint.linter.runner import FileResult, RunOptions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BAD_TP = FIXTURES / "bad" / "vllm" / "llama70b-tp6.yaml"


def _summary(result: FileResult) -> list[tuple[str, str, int, int, str]]:
    return [(d.file, d.code, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]


class _Counter:
    """Counts files really linted, to tell cache hits from misses."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = parallel.lint_path

        def counted(path: str, settings: Settings, options: RunOptions, *, snapshot: bool = False) -> FileResult:
            self.calls += 1
            return original(path, settings, options, snapshot=snapshot)

        monkeypatch.setattr(parallel, "lint_path", counted)


@pytest.fixture(autouse=True)
def _cache_even_single_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CACHE_THRESHOLD", 1)


def _run(tmp_path: Path, target: Path, settings: Settings | None = None,
         options: RunOptions | None = None) -> FileResult:
    return lint_many([(str(target), settings or Settings())], options or RunOptions(), cache_root=tmp_path)[0]


def _aged(target: Path) -> None:
    """Backdate the file so its entry is not 'racily clean' and stat alone may be trusted."""
    old = target.stat().st_mtime - 60
    os.utime(target, (old, old))


def test_hit_reproduces_the_result_and_skips_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    _aged(target)
    counter = _Counter(monkeypatch)
    first, second = _run(tmp_path, target), _run(tmp_path, target)
    assert counter.calls == 1
    assert _summary(first) == _summary(second) and _summary(first)
    assert (tmp_path / ".parlint_cache" / ".gitignore").read_text().strip().endswith("*")


def test_touched_but_unchanged_is_still_a_hit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    counter = _Counter(monkeypatch)
    _run(tmp_path, target)
    os.utime(target)
    _run(tmp_path, target)
    assert counter.calls == 1


def test_same_size_same_mtime_edit_is_caught_when_racy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "serve.yaml"
    target.write_text("model: meta-llama/Llama-3.1-70B-Instruct\ntensor-parallel-size: 8\n")
    _run(tmp_path, target)
    status = target.stat()
    target.write_text("model: meta-llama/Llama-3.1-70B-Instruct\ntensor-parallel-size: 6\n")
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert [d.code for d in _run(tmp_path, target).diagnostics] == ["PL202"]


@pytest.mark.parametrize("change", ["content", "settings", "options", "version", "code"])
def test_every_key_part_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    _aged(target)
    counter = _Counter(monkeypatch)
    settings, options = Settings(), RunOptions()
    _run(tmp_path, target, settings, options)
    if change == "content":
        target.write_text(target.read_text().replace("tensor-parallel-size: 6", "tensor-parallel-size: 8"))
    elif change == "settings":
        settings = Settings(ignore=("PL202",))
    elif change == "options":
        options = RunOptions(max_bytes=1024 * 1024)
    elif change == "version":
        monkeypatch.setattr(cache_module, "__version__", "999.0")
    else:
        monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "edited rule module")
    again = _run(tmp_path, target, settings, options)
    assert counter.calls == 2
    if change in ("content", "settings"):
        assert not any(d.code == "PL202" for d in again.diagnostics)


def test_model_metadata_change_invalidates(tmp_path: Path) -> None:
    config = tmp_path / "private" / "config.json"
    config.parent.mkdir()
    raw = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096,
        "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
        "torch_dtype": "bfloat16",
    }
    config.write_text(json.dumps(raw))
    target = tmp_path / "serve.yaml"
    target.write_text("model: my-org/private-8b\ntensor-parallel-size: 4\n")
    _aged(target)
    settings = Settings(models={"my-org/private-8b": str(config)})
    assert not _run(tmp_path, target, settings).diagnostics
    raw["num_attention_heads"], raw["num_key_value_heads"] = 30, 6
    config.write_text(json.dumps(raw) + " ")
    from parlint.linter.models import resolve

    resolve.clear_cache()  # a new run starts with empty per-run caches
    assert [d.code for d in _run(tmp_path, target, settings).diagnostics] == ["PL202"]


def test_a_corrupt_index_is_a_miss(tmp_path: Path) -> None:
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    first = _run(tmp_path, target)
    for index in (tmp_path / ".parlint_cache" / cache_module.FORMAT).glob("*.json"):
        index.write_text("{not json")
    assert _summary(_run(tmp_path, target)) == _summary(first)


def test_a_handful_of_files_skips_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CACHE_THRESHOLD", 16)
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    _run(tmp_path, target)
    assert not (tmp_path / ".parlint_cache").exists()


def test_parallel_equals_serial_uncached() -> None:
    files = sorted(discover([str(FIXTURES)]))
    jobs = [(str(path), Settings(root=str(FIXTURES))) for path in files]
    serial = lint_many(jobs, RunOptions(), cache_root=None, workers=1)
    parallel_run = lint_many(jobs * 8, RunOptions(), cache_root=None, workers=2)
    assert [_summary(result) for result in parallel_run] == [_summary(result) for result in serial] * 8


def test_a_catalog_answer_is_revalidated_when_a_cached_config_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = tmp_path / "hub"
    hub.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    target = tmp_path / "serve.yaml"
    target.write_text("model: meta-llama/Llama-3.1-8B\ntensor-parallel-size: 4\n")
    _aged(target)
    from parlint.linter.models import resolve

    resolve.clear_cache()
    assert not _run(tmp_path, target).diagnostics  # the catalog's Llama-3.1-8B: 32 heads, TP 4 fits
    snapshot = hub / "models--meta-llama--Llama-3.1-8B" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096,
        "num_attention_heads": 30, "num_key_value_heads": 6, "intermediate_size": 14336, "vocab_size": 128256,
    }))
    resolve.clear_cache()  # a new run
    assert [d.code for d in _run(tmp_path, target).diagnostics] == ["PL202"]


@pytest.mark.parametrize("entries", [0, 1, 2048, 2049, 5000])
def test_the_index_is_written_in_slices_as_one_json_object(entries: int) -> None:
    index = {f"dir/file{number}.yaml": {"size": number, "diagnostics": [{"message": 'a "quoted" \\ value'}]}
             for number in range(entries)}
    stream = io.StringIO()
    cache_module._write_index(stream, index)
    assert json.loads(stream.getvalue()) == index
