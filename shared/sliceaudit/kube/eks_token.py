"""EKS bearer tokens made in process, like `aws eks get-token`; the only kube module that imports botocore.

A token is a presigned STS GetCallerIdentity URL whose signature covers the header
`x-k8s-aws-id: <cluster>`, base64url-encoded without padding behind `k8s-aws-v1.`. EKS accepts it
for about 15 minutes; we make a new one after 12. Endpoints honour AWS_ENDPOINT_URL (botocore
reads it), which is how the tests point STS and EKS at moto.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable

import botocore.exceptions
import botocore.session

from sliceaudit.kube.errors import ClusterError, one_line

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_EXPIRES_SECONDS = 60          # what aws-iam-authenticator and the AWS CLI sign
TOKEN_REFRESH_SECONDS = 12 * 60   # well inside the ~15 minutes EKS honours a token
ROLE_SESSION_NAME = "sliceaudit"
ROLE_REFRESH_MARGIN_SECONDS = 5 * 60


def presigned_token(sts_client, cluster: str) -> str:
    """A token for `cluster` from an STS client that has the header hooks (see `_hook_cluster_header`)."""
    url = sts_client.generate_presigned_url(
        "get_caller_identity", Params={CLUSTER_HEADER: cluster},
        ExpiresIn=URL_EXPIRES_SECONDS, HttpMethod="GET")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def _hook_cluster_header(sts_client) -> None:
    """Carry the cluster name from the call's params into a signed request header."""

    def take(params, context, **_):
        if CLUSTER_HEADER in params:
            context[CLUSTER_HEADER] = params.pop(CLUSTER_HEADER)

    def inject(request, **_):
        if CLUSTER_HEADER in request.context:
            request.headers[CLUSTER_HEADER] = request.context[CLUSTER_HEADER]

    sts_client.meta.events.register("provide-client-params.sts.GetCallerIdentity", take)
    sts_client.meta.events.register("before-sign.sts.GetCallerIdentity", inject)


class EksTokenSource:
    """Tokens (cached, refreshed) and cluster details for one EKS cluster, optionally via a role."""

    def __init__(self, cluster: str, region: str, role_arn: str | None = None, *,
                 session: botocore.session.Session | None = None, clock: Callable[[], float] = time.time):
        self.cluster = cluster
        self.region = region
        self.role_arn = role_arn
        self._session = session or botocore.session.get_session()
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_made = 0.0
        self._sts = None
        self._role_creds: dict | None = None
        self._role_expires = 0.0

    def token(self) -> str:
        """The current token, made anew once it is TOKEN_REFRESH_SECONDS old."""
        with self._lock:
            now = self._clock()
            if self._token is None or now - self._token_made >= TOKEN_REFRESH_SECONDS or self._role_stale(now):
                with _aws_errors(f"EKS token for {self.cluster}"):
                    self._token = presigned_token(self._sts_client(now), self.cluster)
                self._token_made = now
            return self._token

    def describe_cluster(self) -> tuple[str, str]:
        """(endpoint, base64 CA) from eks:DescribeCluster."""
        with self._lock, _aws_errors(f"EKS DescribeCluster {self.cluster} in {self.region}"):
            eks = self._session.create_client("eks", region_name=self.region, **self._credentials(self._clock()))
            cluster = eks.describe_cluster(name=self.cluster)["cluster"]
        endpoint = cluster.get("endpoint")
        ca = (cluster.get("certificateAuthority") or {}).get("data")
        if not endpoint or not ca:
            raise ClusterError(f"EKS cluster {self.cluster} has no endpoint or CA yet (status "
                               f"{cluster.get('status', 'unknown')})", reason="config")
        return endpoint, ca

    def _role_stale(self, now: float) -> bool:
        return self.role_arn is not None and now >= self._role_expires - ROLE_REFRESH_MARGIN_SECONDS

    def _sts_client(self, now: float):
        if self._sts is None or self._role_stale(now):
            sts = self._session.create_client("sts", region_name=self.region, **self._credentials(now))
            _hook_cluster_header(sts)
            self._sts = sts
        return self._sts

    def _credentials(self, now: float) -> dict:
        """Client keyword arguments: the assumed role's keys, or nothing (the default chain)."""
        if self.role_arn is None:
            return {}
        if self._role_creds is None or self._role_stale(now):
            sts = self._session.create_client("sts", region_name=self.region)
            with _aws_errors(f"assume role {self.role_arn}"):
                creds = sts.assume_role(RoleArn=self.role_arn, RoleSessionName=ROLE_SESSION_NAME)["Credentials"]
            self._role_creds = {"aws_access_key_id": creds["AccessKeyId"],
                                "aws_secret_access_key": creds["SecretAccessKey"],
                                "aws_session_token": creds["SessionToken"]}
            expiration = creds.get("Expiration")
            self._role_expires = expiration.timestamp() if hasattr(expiration, "timestamp") else now + 3600
            self._sts = None
        return self._role_creds


class _aws_errors:
    """Turns botocore failures into a one-line ClusterError naming what was being done."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, ClusterError):
            return False
        if isinstance(exc, botocore.exceptions.NoCredentialsError):
            raise ClusterError(f"{self.what}: no AWS credentials found", reason="config") from None
        if isinstance(exc, botocore.exceptions.ClientError):
            err = exc.response.get("Error", {})
            code = err.get("Code", "error")
            reason = "forbidden" if "AccessDenied" in code else "notfound" if "NotFound" in code else "aws"
            raise ClusterError(f"{self.what}: {code}: {one_line(err.get('Message', ''), 160)}",
                               reason=reason) from None
        if isinstance(exc, botocore.exceptions.BotoCoreError):
            raise ClusterError(f"{self.what}: {one_line(exc, 200)}", reason="aws") from None
        return False
