"""KubeClient: one cluster's API client, with its own Configuration and connection pool."""

from __future__ import annotations

from typing import Any, Self

import urllib3
from kubernetes.client import ApiClient

from sliceaudit.kube.resources import resource


class KubeClient:
    """Holds one `ApiClient` per cluster; hands out raw (undecoded) list and watch responses."""

    def __init__(self, name: str, api_client: ApiClient, host: str):
        self.name = name
        self.api_client = api_client
        self.host = host
        self._apis: dict[type, Any] = {}

    def api(self, cls: type) -> Any:
        api = self._apis.get(cls)
        if api is None:
            api = self._apis[cls] = cls(self.api_client)
        return api

    def open(self, kind: str, namespace: str | None = None, *, timeout: float | tuple[float, float],
             **params: Any) -> urllib3.HTTPResponse:
        """GET a list or watch of `kind`; the body stays unread (non-2xx raise ApiException)."""
        res = resource(kind)
        api = self.api(res.api)
        params = {k: v for k, v in params.items() if v is not None}
        if namespace:
            return getattr(api, res.list_namespaced)(namespace, _preload_content=False,
                                                     _request_timeout=timeout, **params)
        return getattr(api, res.list_all)(_preload_content=False, _request_timeout=timeout, **params)

    def close(self) -> None:
        self.api_client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KubeClient({self.name!r}, {self.host!r})"
