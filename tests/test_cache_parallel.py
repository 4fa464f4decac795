"""The result cache never returns a stale result, and parallel runs equal serial, uncached runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import parlint.linter.cache as cache_module
from parlint.linter.cache import ResultCache
from parlint.linter.config import Settings
from parlint.linter.discovery import discover
from parlint.linter.parallel import lint_many
from parlint.linter.runner import FileResult, RunOptions, lint_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BAD_TP = FIXTURES / "bad" / "vllm" / "llama70b-tp6.yaml"


def _summary(result: FileResult) -> list[tuple[str, str, int, int, str]]:
    return [(d.file, d.code, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]


class _CountingLint:
    """Counts real lint work, to tell cache hits from misses."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import parlint.linter.runner as runner

        self.calls = 0
        original = runner.lint_text

        def counted(*args: object, **kwargs: object) -> FileResult:
            self.calls += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(runner, "lint_text", counted)


def test_hit_reproduces_the_result_and_skips_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    counter = _CountingLint(monkeypatch)
    cache = ResultCache(tmp_path)
    first = lint_path(str(target), Settings(), RunOptions(), cache)
    second = lint_path(str(target), Settings(), RunOptions(), cache)
    assert counter.calls == 1
    assert _summary(first) == _summary(second) and _summary(first)
    assert (tmp_path / ".parlint_cache" / ".gitignore").read_text().strip().endswith("*")


@pytest.mark.parametrize("change", ["content", "settings", "options", "version"])
def test_every_key_part_invalidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    target = tmp_path / "serve.yaml"
    shutil.copy(BAD_TP, target)
    counter = _CountingLint(monkeypatch)
    cache = ResultCache(tmp_path)
    settings, options = Settings(), RunOptions()
    lint_path(str(target), settings, options, cache)
    if change == "content":
        target.write_text(target.read_text().replace("tensor-parallel-size: 6", "tensor-parallel-size: 8"))
    elif change == "settings":
        settings = Settings(ignore=("PL202",))
    elif change == "options":
        options = RunOptions(max_bytes=1024 * 1024)
    else:
        monkeypatch.setattr(cache_module, "__version__", "999.0")
    again = lint_path(str(target), settings, options, cache)
    assert counter.calls == 2
    if change in ("content", "settings"):
        assert not any(d.code == "PL202" for d in again.diagnostics)


def test_model_metadata_change_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    settings = Settings(models={"my-org/private-8b": str(config)})
    cache = ResultCache(tmp_path)
    assert not lint_path(str(target), settings, RunOptions(), cache).diagnostics
    raw["num_attention_heads"] = 30
    raw["num_key_value_heads"] = 6
    config.write_text(json.dumps(raw) + " ")
    from parlint.linter.models import resolve

    resolve._resolve.cache_clear()  # a new run starts with empty per-run caches
    again = lint_path(str(target), settings, RunOptions(), cache)
    assert [d.code for d in again.diagnostics] == ["PL202"]


def test_parallel_equals_serial_uncached() -> None:
    files = sorted(discover([str(FIXTURES)]))
    jobs = [(str(path), Settings(root=str(FIXTURES))) for path in files]
    serial = lint_many(jobs, RunOptions(), cache_root=None, workers=1)
    parallel = lint_many(jobs * 8, RunOptions(), cache_root=None, workers=2)
    assert [_summary(result) for result in parallel] == [_summary(result) for result in serial] * 8
