"""The linter machinery: loading with positions, discovery, engine adapters, the structural model,
reporters and the CLI. Rules live in :mod:`parlint.rules`; schemas in :mod:`parlint.schemas`."""
