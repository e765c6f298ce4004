"""What the EndpointSlice controllers write for given objects: a pure model over api records.

endpointslice: the EndpointSlice controller (Services with a selector, their Pods and Nodes);
mirroring: the mirroring controller (Endpoints of selector-less Services); workloads: the Pods
a workload's template would run, for predictions from manifests.
"""
