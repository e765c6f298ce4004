"""The simulated fleet: generated clusters served by local HTTPS Kubernetes API servers.

- world.fleet.generate_cluster: a deterministic cluster of raw API objects plus its ground truth
  (catalog: the kinds of Service; breakage: how they go wrong; render: API-shaped objects, whose
  slices the controller model (sliceaudit.controller) writes from the rendered Pods and Services;
  truth: the independent oracle, which imports no audit or controller code; churn: change over time).
- apiserver.server.ApiServer: list / get / watch of raw objects over HTTPS with tokens and
  injectable faults (store, selectors, auth, faults, discovery); it knows nothing of the fleet.
- clusterserver.ClusterServer: an ApiServer with a generated cluster behind it: the model's
  changes published as API writes, break / fix / churn, and the truth right now.
- fleetrun.SimulatedFleet: one ClusterServer per cluster, a kubeconfig and the truth file.
- world.large.large_cluster: ~20,000 slices for benchmarks.
"""
