"""The simulated fleet: generated clusters served by local HTTPS Kubernetes API servers.

- fleet.generate_cluster: a deterministic cluster of raw API objects plus its ground truth
  (catalog: the kinds of Service; breakage: how they go wrong; render: API-shaped objects, whose
  slices the controller model (sliceaudit.controller) writes from the rendered Pods and Services;
  truth: the independent oracle, which imports no audit or controller code; churn: change over time).
- server.ApiServer: list / get / watch over HTTPS with tokens and injectable faults (store,
  selectors, auth, faults).
- fleetrun.SimulatedFleet: one server per cluster, a kubeconfig and the truth file.
- large.large_cluster: ~20,000 slices for benchmarks.
"""
