"""parlint: lint LLM inference parallelism configs against the model's structure."""

__version__ = "0.1.0"
