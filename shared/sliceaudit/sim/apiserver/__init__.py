"""The simulated Kubernetes API server: HTTP/TLS, storage, auth, faults, discovery; nothing about the fleet."""
