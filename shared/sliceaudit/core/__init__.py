"""The audit core: raw Kubernetes API JSON in, findings out. Standard library and msgspec only."""
