"""The Kubernetes API's objects as the controller models read them, and the lookups on them."""
