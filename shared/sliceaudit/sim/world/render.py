"""Turns the model into raw API objects, shaped (and key-ordered) the way an API server returns them."""

from __future__ import annotations

import json

from sliceaudit.api.objects import EndpointSlice, to_api
from sliceaudit.sim.world.ids import timestamp
from sliceaudit.sim.world.model import Container, HandSlice, Pod, ReplicaSet, Service, Template, Workload

EMPTY = {}


def _fields_labels(labels: dict[str, str]) -> dict:
    return {".": EMPTY, **{f"f:{k}": EMPTY for k in labels}}


def _owner_key(uid: str) -> str:
    return "k:" + json.dumps({"uid": uid}, separators=(",", ":"))


def _managed(manager: str, api_version: str, t: int, fields: dict, subresource: str | None = None) -> dict:
    entry = {
        "manager": manager,
        "operation": "Update",
        "apiVersion": api_version,
        "time": timestamp(t),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def _owner(api_version: str, kind: str, name: str, uid: str) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _container(c: Container) -> dict:
    out: dict = {"name": c.name, "image": c.image}
    if c.ports:
        out["ports"] = [{**({"name": p.name} if p.name else {}), "containerPort": p.number, "protocol": p.protocol}
                        for p in c.ports]
    out["resources"] = {"limits": {"memory": "256Mi"}, "requests": {"cpu": "50m", "memory": "128Mi"}}
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    out["imagePullPolicy"] = "IfNotPresent"
    if c.sidecar:
        out["restartPolicy"] = "Always"
    return out


def _container_fields(c: Container) -> dict:
    fields: dict = {".": EMPTY, "f:image": EMPTY, "f:imagePullPolicy": EMPTY, "f:name": EMPTY}
    if c.ports:
        ports = {".": EMPTY}
        for p in c.ports:
            key = "k:" + json.dumps({"containerPort": p.number, "protocol": p.protocol}, separators=(",", ":"))
            ports[key] = {".": EMPTY, "f:containerPort": EMPTY, **({"f:name": EMPTY} if p.name else {}),
                          "f:protocol": EMPTY}
        fields["f:ports"] = ports
    fields["f:resources"] = {".": EMPTY, "f:limits": {".": EMPTY, "f:memory": EMPTY},
                             "f:requests": {".": EMPTY, "f:cpu": EMPTY, "f:memory": EMPTY}}
    if c.sidecar:
        fields["f:restartPolicy"] = EMPTY
    fields["f:terminationMessagePath"] = EMPTY
    fields["f:terminationMessagePolicy"] = EMPTY
    return fields


def _pod_spec(template: Template) -> dict:
    spec: dict = {}
    sidecars = [_container(c) for c in template.containers if c.sidecar]
    if sidecars:
        spec["initContainers"] = sidecars
    spec["containers"] = [_container(c) for c in template.containers if not c.sidecar]
    spec.update(
        {
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        }
    )
    return spec


def _spec_fields(template: Template) -> dict:
    fields: dict = {
        "f:containers": {f'k:{{"name":"{c.name}"}}': _container_fields(c) for c in template.containers
                         if not c.sidecar},
        "f:dnsPolicy": EMPTY,
        "f:restartPolicy": EMPTY,
        "f:schedulerName": EMPTY,
        "f:securityContext": EMPTY,
        "f:terminationGracePeriodSeconds": EMPTY,
    }
    sidecars = [c for c in template.containers if c.sidecar]
    if sidecars:
        fields["f:initContainers"] = {f'k:{{"name":"{c.name}"}}': _container_fields(c) for c in sidecars}
    return fields


def _template(labels: dict[str, str], template: Template) -> dict:
    return {"metadata": {"labels": dict(labels)}, "spec": _pod_spec(template)}


def pod(p: Pod) -> dict:
    """A Pod in phase Running, as the kubelet reports it."""
    labels = dict(p.labels)
    meta: dict = {"name": p.name}
    if p.owner_kind != "StatefulSet":
        meta["generateName"] = p.name[: p.name.rfind("-") + 1]
    meta.update(
        {
            "namespace": p.namespace,
            "uid": p.uid,
            "resourceVersion": "0",
            "creationTimestamp": timestamp(p.created),
        }
    )
    if p.terminating:
        meta["deletionTimestamp"] = timestamp(p.deleted_at or p.created)
        meta["deletionGracePeriodSeconds"] = 30
    meta["labels"] = labels
    api = "batch/v1" if p.owner_kind == "Job" else "apps/v1"
    meta["ownerReferences"] = [_owner(api, p.owner_kind, p.owner_name, p.owner_uid)]
    ready_t = max(p.ready_since, p.created)
    status_time = p.deleted_at if p.terminating and p.deleted_at else ready_t
    meta["managedFields"] = [
        _managed(
            "kube-controller-manager",
            "v1",
            p.created,
            {
                "f:metadata": {
                    "f:generateName": EMPTY,
                    "f:labels": _fields_labels(labels),
                    "f:ownerReferences": {".": EMPTY, _owner_key(p.owner_uid): EMPTY},
                },
                "f:spec": _spec_fields(p.template),
            },
        ),
        _managed(
            "kubelet",
            "v1",
            status_time,
            {
                "f:status": {
                    "f:conditions": {
                        f'k:{{"type":"{t}"}}': {".": EMPTY, "f:lastProbeTime": EMPTY,
                                                 "f:lastTransitionTime": EMPTY, "f:status": EMPTY, "f:type": EMPTY}
                        for t in ("ContainersReady", "Initialized", "PodReadyToStartContainers", "Ready")
                    },
                    "f:containerStatuses": EMPTY,
                    "f:hostIP": EMPTY,
                    "f:hostIPs": EMPTY,
                    "f:phase": EMPTY,
                    "f:podIP": EMPTY,
                    "f:podIPs": {".": EMPTY, **{f'k:{{"ip":"{ip}"}}': {".": EMPTY, "f:ip": EMPTY}
                                                 for ip in (p.ip4, p.ip6) if ip}},
                    "f:startTime": EMPTY,
                }
            },
            subresource="status",
        ),
    ]
    spec = _pod_spec(p.template)
    if p.node:
        spec["nodeName"] = p.node
    if p.subdomain:
        spec["hostname"] = p.name
        spec["subdomain"] = p.subdomain
    spec.update({"enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority", "priority": 0})
    ready = "True" if p.ready else "False"  # a terminating pod stays Ready until its containers stop

    def cond(kind: str, status: str, t: int) -> dict:
        return {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": timestamp(t)}

    if p.phase == "Pending":
        # Not scheduled: no node, no IP, only the scheduler's condition (the kubelet never saw it).
        status = {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
             "lastTransitionTime": timestamp(p.created), "reason": "Unschedulable",
             "message": "0/9 nodes are available: 9 Insufficient cpu."}], "qosClass": "Burstable"}
        return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status}
    node_ip = f"10.0.{sum(map(ord, p.node)) % 250}.{len(p.node) * 7 % 250 + 1}"
    started = timestamp(p.created + 2)
    status = {
        "phase": "Running",
        "conditions": [
            cond("PodReadyToStartContainers", "True", p.created + 2),
            cond("Initialized", "True", p.created + 1),
            cond("Ready", ready, ready_t),
            cond("ContainersReady", ready, ready_t),
            cond("PodScheduled", "True", p.created),
        ],
        "hostIP": node_ip,
        "hostIPs": [{"ip": node_ip}],
        "podIP": p.ip4,
        "podIPs": [{"ip": ip} for ip in (p.ip4, p.ip6) if ip],
        "startTime": timestamp(p.created),
        "containerStatuses": [
            {
                "name": c.name,
                "state": {"running": {"startedAt": started}},
                "lastState": {},
                "ready": ready == "True",
                "restartCount": 0,
                "image": c.image,
                "imageID": c.image.split(":")[0] + "@sha256:" + (p.uid.replace("-", "") * 2)[:64],
                "containerID": "containerd://" + (p.uid.replace("-", "") + c.name.encode().hex() * 4)[:64],
                "started": True,
            }
            for c in p.template.containers
            if not c.sidecar
        ],
        "qosClass": "Burstable",
    }
    if p.terminal:
        status["phase"] = p.phase
        status["conditions"][2]["status"] = status["conditions"][3]["status"] = "False"
        for c in status["containerStatuses"]:
            c["ready"] = False
            reason = "Completed" if p.phase == "Succeeded" else "Error"
            c["state"] = {"terminated": {"exitCode": 0 if p.phase == "Succeeded" else 137, "reason": reason,
                                         "startedAt": started, "finishedAt": timestamp(p.ready_since + 60)}}
        if p.phase == "Failed":
            status["reason"] = "Evicted"
            status["message"] = "The node was low on resource: memory."
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status}


def _workload_meta(w: Workload, name: str, uid: str, created: int, extra_labels=None) -> dict:
    labels = {k: v for k, v in w.labels.items()}
    if extra_labels:
        labels.update(extra_labels)
    return {
        "name": name,
        "namespace": w.namespace,
        "uid": uid,
        "resourceVersion": "0",
        "generation": w.generation,
        "creationTimestamp": timestamp(created),
        "labels": labels,
    }


def _ready_count(pods: list[Pod]) -> int:
    return sum(1 for p in pods if p.ready and not p.terminating)


def replicaset(w: Workload, rs: ReplicaSet) -> dict:
    hash_label = {"pod-template-hash": rs.pod_hash}
    meta = _workload_meta(w, rs.name, rs.uid, rs.created, hash_label)
    meta["annotations"] = {
        "deployment.kubernetes.io/desired-replicas": str(w.replicas),
        "deployment.kubernetes.io/max-replicas": str(w.replicas + max(1, w.replicas // 4)),
        "deployment.kubernetes.io/revision": str(rs.revision),
    }
    meta["ownerReferences"] = [_owner("apps/v1", "Deployment", w.name, w.uid)]
    meta["managedFields"] = [
        _managed("kube-controller-manager", "apps/v1", rs.created, {
            "f:metadata": {"f:annotations": {".": EMPTY}, "f:labels": _fields_labels(meta["labels"]),
                           "f:ownerReferences": {".": EMPTY, _owner_key(w.uid): EMPTY}},
            "f:spec": {"f:replicas": EMPTY, "f:selector": EMPTY, "f:template": EMPTY},
        }),
        _managed("kube-controller-manager", "apps/v1", rs.created,
                 {"f:status": {"f:observedGeneration": EMPTY, "f:replicas": EMPTY}}, subresource="status"),
    ]
    pods = [p for p in w.pods if p.labels.get("pod-template-hash") == rs.pod_hash]
    selector = {**w.labels, **hash_label}
    status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "observedGeneration": 1}
    if _ready_count(pods):
        status["readyReplicas"] = _ready_count(pods)
        status["availableReplicas"] = _ready_count(pods)
    return {
        "kind": "ReplicaSet",
        "apiVersion": "apps/v1",
        "metadata": meta,
        "spec": {"replicas": rs.replicas, "selector": {"matchLabels": selector},
                 "template": _template(selector, rs.template)},
        "status": status,
    }


def workload(w: Workload) -> dict:
    """A Deployment, StatefulSet or DaemonSet with its status."""
    meta = _workload_meta(w, w.name, w.uid, w.created)
    if w.kind == "Deployment":
        meta["annotations"] = {"deployment.kubernetes.io/revision": str(max((r.revision for r in w.replicasets),
                                                                            default=1))}
    meta["managedFields"] = [
        _managed("argocd-controller", "apps/v1", w.created, {
            "f:metadata": {"f:labels": _fields_labels(w.labels)},
            "f:spec": {"f:replicas": EMPTY, "f:selector": EMPTY, "f:template": EMPTY},
        }),
        _managed("kube-controller-manager", "apps/v1", w.created,
                 {"f:status": {"f:observedGeneration": EMPTY, "f:replicas": EMPTY}}, subresource="status"),
    ]
    live = [p for p in w.pods if not p.terminating]
    ready = _ready_count(w.pods)
    spec: dict = {}
    if w.kind != "DaemonSet":
        spec["replicas"] = w.replicas
    spec["selector"] = {"matchLabels": dict(w.labels)}
    spec["template"] = _template(w.labels, w.template)
    if w.kind == "Deployment":
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
        spec["revisionHistoryLimit"] = 10
        spec["progressDeadlineSeconds"] = 600
        status = {"observedGeneration": w.generation, "replicas": len(live), "updatedReplicas": len(live),
                  "readyReplicas": ready, "availableReplicas": ready}
    elif w.kind == "StatefulSet":
        spec["serviceName"] = w.name
        spec["podManagementPolicy"] = "OrderedReady"
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        status = {"observedGeneration": w.generation, "replicas": len(live), "readyReplicas": ready,
                  "currentReplicas": len(live), "updatedReplicas": len(live), "availableReplicas": ready}
    else:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
        status = {"currentNumberScheduled": len(live), "numberMisscheduled": 0,
                  "desiredNumberScheduled": w.replicas, "numberReady": ready, "observedGeneration": w.generation,
                  "updatedNumberScheduled": len(live), "numberAvailable": ready}
    return {"kind": w.kind, "apiVersion": "apps/v1", "metadata": meta, "spec": spec, "status": status}


def service(s: Service) -> dict:
    meta = {
        "name": s.name,
        "namespace": s.namespace,
        "uid": s.uid,
        "resourceVersion": "0",
        "creationTimestamp": timestamp(s.created),
        "labels": dict(s.labels),
        "managedFields": [
            _managed("helm", "v1", s.created, {
                "f:metadata": {"f:labels": _fields_labels(s.labels)},
                "f:spec": {"f:internalTrafficPolicy": EMPTY, "f:ports": EMPTY, "f:selector": EMPTY,
                           "f:sessionAffinity": EMPTY, "f:type": EMPTY},
            })
        ],
    }
    spec: dict = {}
    if s.publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    if s.ports:
        ports = []
        for p in s.ports:
            entry: dict = {}
            if p.name:
                entry["name"] = p.name
            entry["protocol"] = p.protocol
            if p.app_protocol:
                entry["appProtocol"] = p.app_protocol
            entry["port"] = p.port
            entry["targetPort"] = p.target
            ports.append(entry)
        spec["ports"] = ports
    if s.selector:
        spec["selector"] = dict(s.selector)
    if s.headless:
        spec["clusterIP"] = "None"
        spec["clusterIPs"] = ["None"]
    elif s.ipv6_only:
        spec["clusterIP"] = s.cluster_ip6
        spec["clusterIPs"] = [s.cluster_ip6]
    else:
        spec["clusterIP"] = s.cluster_ip
        spec["clusterIPs"] = [s.cluster_ip] + ([s.cluster_ip6] if s.dual_stack else [])
    spec["type"] = "ClusterIP"
    spec["sessionAffinity"] = "None"
    spec["ipFamilies"] = list(s.address_types)
    spec["ipFamilyPolicy"] = "PreferDualStack" if s.dual_stack else "SingleStack"
    spec["internalTrafficPolicy"] = "Cluster"
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": {"loadBalancer": {}}}


def node(name: str, zone: str) -> dict:
    """A Node as the controller's lister sees it: the fields the EndpointSlice controller reads."""
    return {"kind": "Node", "apiVersion": "v1",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "topology.kubernetes.io/zone": zone}}}


def endpoint_slice(st: EndpointSlice, uid: str, created: int, updated: int) -> dict:
    """A slice the controller model wrote, with what the API server adds (uid, times, managedFields)."""
    written = to_api(st)
    meta = written["metadata"]
    labels = dict(sorted((meta.get("labels") or {}).items()))
    owner_uid = (meta.get("ownerReferences") or [{}])[0].get("uid", "")
    out_meta = {
        "name": meta["name"],
        "generateName": meta.get("generateName", ""),
        "namespace": meta["namespace"],
        "uid": uid,
        "resourceVersion": "0",
        "generation": 1 + (updated - created) // 5 if updated > created else 1,
        "creationTimestamp": timestamp(created),
        "labels": labels,
        "annotations": {**(meta.get("annotations") or {}),
                        "endpoints.kubernetes.io/last-change-trigger-time": timestamp(updated)},
        "ownerReferences": meta.get("ownerReferences", []),
        "managedFields": [
            _managed("kube-controller-manager", "discovery.k8s.io/v1", updated, {
                "f:addressType": EMPTY,
                "f:endpoints": EMPTY,
                "f:metadata": {
                    "f:annotations": {".": EMPTY, "f:endpoints.kubernetes.io/last-change-trigger-time": EMPTY},
                    "f:generateName": EMPTY,
                    "f:labels": _fields_labels(labels),
                    "f:ownerReferences": {".": EMPTY, _owner_key(owner_uid): EMPTY},
                },
                "f:ports": EMPTY,
            })
        ],
    }
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "metadata": out_meta,
            "addressType": written["addressType"], "endpoints": written["endpoints"], "ports": written["ports"]}


def endpoints(s: Service, uid: str) -> dict:
    """The Endpoints object an operator maintains for a selector-less Service."""
    labels = {"app.kubernetes.io/managed-by": "ops-team"}
    subsets = []
    for sub in s.endpoints or ():
        entry: dict = {}
        if sub.addresses:
            entry["addresses"] = [{"ip": ip} for ip in sub.addresses]
        if sub.not_ready:
            entry["notReadyAddresses"] = [{"ip": ip} for ip in sub.not_ready]
        if sub.ports:
            entry["ports"] = [dict(p) for p in sub.ports]
        subsets.append(entry)
    meta = {"name": s.name, "namespace": s.namespace, "uid": uid, "resourceVersion": "0",
            "creationTimestamp": timestamp(s.created), "labels": labels,
            "managedFields": [_managed("ops-team", "v1", s.created, {"f:metadata": {"f:labels": _fields_labels(labels)},
                                                                    "f:subsets": EMPTY})]}
    return {"kind": "Endpoints", "apiVersion": "v1", "metadata": meta, "subsets": subsets}


def hand_slice(s: Service, h: HandSlice) -> dict:
    """A slice an operator or a person wrote for a selector-less Service."""
    labels = {"endpointslice.kubernetes.io/managed-by": h.manager, "kubernetes.io/service-name": s.name}
    meta = {
        "name": h.name,
        "namespace": s.namespace,
        "uid": h.uid,
        "resourceVersion": "0",
        "generation": 1,
        "creationTimestamp": timestamp(h.created),
        "labels": labels,
        "managedFields": [
            _managed(h.manager.split(".")[0], "discovery.k8s.io/v1", h.created, {
                "f:addressType": EMPTY, "f:endpoints": EMPTY,
                "f:metadata": {"f:labels": _fields_labels(labels)}, "f:ports": EMPTY,
            })
        ],
    }
    endpoints = []
    for i, address in enumerate(h.addresses):
        ep: dict = {"addresses": [address]}
        # Hand-made slices often leave conditions out: absent means ready.
        if i % 2:
            ep["conditions"] = {"ready": True}
        endpoints.append(ep)
    return {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": meta,
        "addressType": h.address_type,
        "endpoints": endpoints or None,
        "ports": [dict(p) for p in h.ports] if h.ports else None,
    }
