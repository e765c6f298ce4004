"""FindPort: the container port a Service port's targetPort resolves to on one pod.

k8s.io/endpointslice utils.go `FindPort` (kubernetes staging, 2026): a numeric targetPort is
taken as is; a name is looked up among the app containers' ports with the Service port's
protocol, then among native sidecars (init containers with restartPolicy Always); no match
means the pod has no such port (the controller then leaves that Service port out).
"""

from __future__ import annotations

from sliceaudit.api.records import PodSpec, ServicePort


def find_port(spec: PodSpec, service_port: ServicePort) -> int | None:
    """The port number, or None when a named targetPort matches no container port."""
    target = service_port.target
    if isinstance(target, int):
        return target
    protocol = service_port.key[1]
    for port in spec.container_ports():
        if port.name == target and port.key[1] == protocol:   # the name first: most ports differ in it
            return port.container_port
    return None
