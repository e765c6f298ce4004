"""Kubeconfig content: files read and merged as kubectl does, checked for shape, one context picked.

Every entry is type-checked before the Kubernetes client sees it, so a kubeconfig that is not a
mapping, or has a list where a name belongs, is one line naming the entry, never a traceback.
Kubeconfigs from a secret (the Lambda's) must be self-contained: `self_contained_credential`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from sliceaudit.kube.errors import ClusterError

MAX_FILE_BYTES = 4 * 1024 * 1024   # a kubeconfig is kilobytes; this stops `--kubeconfig /dev/zero`
LISTS = {"clusters": "cluster", "users": "user", "contexts": "context"}
STRINGS = {
    "cluster": ("server", "certificate-authority", "certificate-authority-data", "tls-server-name", "proxy-url"),
    "user": ("token", "tokenFile", "client-certificate", "client-certificate-data", "client-key", "client-key-data",
             "username", "password"),
    "context": ("cluster", "user", "namespace"),
}
# Relative file references are relative to the kubeconfig file that names them (client-go's
# ResolveLocalPaths, tools/clientcmd/loader.go); so is an exec command with a slash in it.
# In a secret's kubeconfig none of them is allowed: nothing may name a file of the machine reading it.
FILES = {"cluster": ("certificate-authority",), "user": ("tokenFile", "client-certificate", "client-key")}


@dataclass(frozen=True)
class Picked:
    """One context of a kubeconfig: its name, cluster and user bodies (user {} when it has none)."""

    context: str
    cluster: Mapping[str, Any]
    user: Mapping[str, Any]
    namespace: str | None = None

    def without_exec(self) -> dict[str, Any]:
        """A one-context kubeconfig for the Kubernetes client, minus the exec entry we run ourselves."""
        user = {k: v for k, v in self.user.items() if k != "exec"}
        return {"current-context": self.context,
                "clusters": [{"name": "c", "cluster": dict(self.cluster)}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": self.context, "context": {"cluster": "c", "user": "u"}}]}


@dataclass(frozen=True)
class EksGetToken:
    """The `aws eks get-token` exec entry `aws eks update-kubeconfig` writes: served in process."""

    cluster: str
    region: str | None
    role_arn: str | None


def read_files(path: str) -> dict[str, Any]:
    """The merged content of `path` (`:`-separated like $KUBECONFIG), file references made absolute.

    Merged as kubectl merges (client-go tools/clientcmd/loader.go, Load): the first file that names
    a cluster, user or context wins, and so does the first file that sets current-context.
    """
    files = [os.path.expanduser(p) for p in path.split(os.pathsep) if p]
    found = [p for p in files if os.path.exists(p)]
    if not found:
        raise ClusterError(f"kubeconfig {path}: no such file", reason="config")
    merged: dict[str, Any] = {name: [] for name in LISTS}
    for file in found:
        doc = check_shape(_load(file), f"kubeconfig {file}")
        base = os.path.dirname(os.path.abspath(file))
        for list_name, body in LISTS.items():
            have = {e["name"] for e in merged[list_name]}
            for entry in doc.get(list_name) or ():
                if entry["name"] not in have:
                    merged[list_name].append({**entry, body: _absolute(body, entry.get(body) or {}, base)})
        if doc.get("current-context") and not merged.get("current-context"):
            merged["current-context"] = doc["current-context"]
    return merged


def _load(file: str) -> Any:
    try:
        with open(file, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ClusterError(f"kubeconfig {file}: {err.strerror or type(err).__name__}", reason="config") from None
    if len(data) > MAX_FILE_BYTES:
        raise ClusterError(f"kubeconfig {file}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", reason="config")
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as err:
        # The parser's message quotes the text, which may hold a credential.
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ClusterError(f"kubeconfig {file}: not valid YAML{where}", reason="config") from None
    except (ValueError, RecursionError):
        raise ClusterError(f"kubeconfig {file}: not valid YAML", reason="config") from None


def _absolute(body: str, fields: Mapping[str, Any], base: str) -> dict[str, Any]:
    out = dict(fields)
    for key in FILES.get(body, ()):
        if out.get(key):
            out[key] = os.path.join(base, os.path.expanduser(out[key]))
    command = (out.get("exec") or {}).get("command") if body == "user" else None
    if command and "/" in command and not os.path.isabs(command):
        out["exec"] = {**out["exec"], "command": os.path.join(base, command)}
    return out


def check_shape(doc: Any, where: str) -> dict[str, Any]:
    """`doc` if it has a kubeconfig's shape; else ClusterError naming the first entry that does not."""
    if not isinstance(doc, Mapping):
        raise ClusterError(f"{where}: not a kubeconfig (a mapping), but {_kind(doc)}", reason="config")
    current = doc.get("current-context")
    if current is not None and not isinstance(current, str):
        raise ClusterError(f"{where}: current-context must be a string, not {_kind(current)}", reason="config")
    for list_name, body in LISTS.items():
        entries = doc.get(list_name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ClusterError(f"{where}: {list_name} must be a list, not {_kind(entries)}", reason="config")
        for i, entry in enumerate(entries):
            at = f"{where}: {list_name}[{i}]"
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str) or not entry["name"]:
                raise ClusterError(f"{at} must be a mapping with a name", reason="config")
            fields = entry.get(body)
            if fields is None:
                continue
            if not isinstance(fields, Mapping):
                raise ClusterError(f"{at} ({entry['name']}): {body} must be a mapping, not {_kind(fields)}",
                                   reason="config")
            for key in STRINGS[body]:
                if key in fields and not isinstance(fields[key], str):
                    raise ClusterError(f"{at} ({entry['name']}): {body}.{key} must be a string, not "
                                       f"{_kind(fields[key])}", reason="config")
            if body == "user":
                _check_user(fields, f"{at} ({entry['name']})")
    return dict(doc)


def _check_user(user: Mapping[str, Any], at: str) -> None:
    for key in ("exec", "auth-provider"):
        if key in user and not isinstance(user[key], Mapping):
            raise ClusterError(f"{at}: user.{key} must be a mapping, not {_kind(user[key])}", reason="config")
    exec_ = user.get("exec")
    if exec_ is None:
        return
    if not isinstance(exec_.get("command"), str) or not exec_["command"]:
        raise ClusterError(f"{at}: user.exec.command must be a non-empty string", reason="config")
    args = exec_.get("args")
    if args is not None and not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise ClusterError(f"{at}: user.exec.args must be a list of strings", reason="config")
    env = exec_.get("env")
    if env is not None and not (isinstance(env, list) and all(
            isinstance(e, Mapping) and isinstance(e.get("name"), str) and isinstance(e.get("value"), str)
            for e in env)):
        raise ClusterError(f"{at}: user.exec.env must be a list of name/value strings", reason="config")
    if not isinstance(exec_.get("apiVersion", ""), str):
        raise ClusterError(f"{at}: user.exec.apiVersion must be a string", reason="config")


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def context_names(content: Mapping[str, Any], where: str) -> tuple[list[str], str | None]:
    """The context names in order, and the current context (None when unset)."""
    doc = check_shape(content, where)
    return [c["name"] for c in doc.get("contexts") or ()], doc.get("current-context") or None


def pick(content: Mapping[str, Any], context: str | None, where: str) -> Picked:
    """The named context (default: current) with its cluster and user; ClusterError when any is missing."""
    doc = check_shape(content, where)
    name = context or doc.get("current-context")
    if not name:
        raise ClusterError(f"{where}: no current-context", reason="config")

    def find(list_name: str, wanted: Any) -> Mapping[str, Any] | None:
        for entry in doc.get(list_name) or ():
            if entry["name"] == wanted:
                return entry.get(LISTS[list_name]) or {}
        return None

    ctx = find("contexts", name)
    if ctx is None:
        raise ClusterError(f"{where}: no context {name!r}", reason="config")
    cluster = find("clusters", ctx.get("cluster"))
    if cluster is None:
        raise ClusterError(f"{where}: context {name!r} names no defined cluster", reason="config")
    user = find("users", ctx.get("user")) if ctx.get("user") else {}
    if user is None:
        raise ClusterError(f"{where}: context {name!r} names no defined user", reason="config")
    if not cluster.get("server"):
        raise ClusterError(f"{where}: cluster of context {name!r} has no server", reason="config")
    return Picked(name, cluster, user, ctx.get("namespace"))


def check_user_auth(picked: Picked, where: str) -> None:
    """Refuses the `gcp` auth provider, as client-go does since 1.26 (plugin/pkg/client/auth/gcp/gcp_stub.go):
    the Kubernetes Python client would run its `cmd-path` with no time limit."""
    provider = picked.user.get("auth-provider") or {}
    if provider.get("name") == "gcp":
        raise ClusterError(f"{where}: the gcp auth-provider was removed from kubectl and client-go: use the "
                           "gke-gcloud-auth-plugin exec plugin (gcloud container clusters get-credentials)",
                           reason="config")


def self_contained_credential(picked: Picked, where: str) -> EksGetToken | None:
    """Refuses what a secret's kubeconfig may not do in our process: read a file, run a command, call an
    auth provider. Its `aws eks get-token` exec entry comes back as an EksGetToken (served, never run)."""
    for body, fields in (("cluster", picked.cluster), ("user", picked.user)):
        for key in FILES[body]:
            if fields.get(key):
                raise ClusterError(f"{where}: {body}.{key} names a file: a kubeconfig from a secret must be "
                                   f"self-contained ({key}-data)", reason="config")
    if "auth-provider" in picked.user:
        raise ClusterError(f"{where}: user.auth-provider is not allowed in a kubeconfig from a secret",
                           reason="config")
    exec_ = picked.user.get("exec")
    if exec_ is None:
        return None
    eks = eks_get_token(exec_)
    if eks is None:
        raise ClusterError(f"{where}: user.exec runs {os.path.basename(exec_['command'])!r}: the only exec "
                           "entry allowed from a secret is `aws eks get-token --cluster-name NAME`", reason="config")
    return eks


# Options of `aws [--region R] [--output F] [--profile P] eks get-token --cluster-name N [--role-arn A]`
# (aws-cli awscli/customizations/eks/get_token.py; update_kubeconfig.py writes `--role` for --role-arn).
_GLOBAL_OPTIONS = {"region", "output", "profile"}
_GET_TOKEN_OPTIONS = {"cluster-name", "role-arn", "role"}


def eks_get_token(exec_: Mapping[str, Any]) -> EksGetToken | None:
    """The cluster, region and role of an `aws eks get-token` exec entry; None for any other command."""
    if exec_.get("command") != "aws":
        return None
    options: dict[str, str] = {}
    words: list[str] = []
    args = list(exec_.get("args") or ())
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            key, eq, value = arg[2:].partition("=")
            if not eq:
                if i + 1 >= len(args):
                    return None
                value, i = args[i + 1], i + 1
            if key not in _GLOBAL_OPTIONS | _GET_TOKEN_OPTIONS or key in options:
                return None
            options[key] = value
        else:
            words.append(arg)
        i += 1
    if words != ["eks", "get-token"] or not options.get("cluster-name"):
        return None
    if "role" in options and "role-arn" in options:
        return None
    env = {e["name"]: e["value"] for e in exec_.get("env") or ()}
    region = options.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    return EksGetToken(options["cluster-name"], region or None, options.get("role-arn") or options.get("role"))
