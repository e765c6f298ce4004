"""Reading what the functions print: EMF documents and per-cluster metric values."""

from __future__ import annotations

REGION = "eu-west-1"


def emf_documents(lines: list[dict]) -> list[dict]:
    """EMF documents, each metric's value unwrapped from Powertools' one-element list."""
    docs = []
    for line in lines:
        if "_aws" in line:
            names = {m["Name"] for d in line["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
            docs.append({k: (v[0] if k in names and isinstance(v, list) and len(v) == 1 else v)
                         for k, v in line.items()})
    return docs


def cluster_metrics(lines: list[dict]) -> dict[str, dict]:
    """The last EMF values per cluster dimension."""
    found: dict[str, dict] = {}
    for doc in emf_documents(lines):
        if "cluster" in doc:
            names = [m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
            found.setdefault(doc["cluster"], {}).update({n: doc[n] for n in names})
    return found
