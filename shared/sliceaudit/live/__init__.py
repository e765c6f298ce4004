"""Live audits: list a cluster through kube/, stream it namespace by namespace, apply the owners policy."""
