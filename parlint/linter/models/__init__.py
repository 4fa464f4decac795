"""Model structure: the canonical form, the config.json normalizer, the built-in catalog, offline
resolution, the GPU table and the memory model."""
