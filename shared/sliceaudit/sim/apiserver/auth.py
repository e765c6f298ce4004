"""Bearer-token checks: a static token, and EKS tokens the way aws-iam-authenticator reads them.

An EKS token is `k8s-aws-v1.` + unpadded base64url of a presigned STS GetCallerIdentity URL
whose signed headers include `x-k8s-aws-id` (the cluster name). Without AWS we check the
structure and the 15-minute lifetime; when the server knows the secret key of the token's access
key id, it also recomputes the SigV4 signature with `x-k8s-aws-id: <cluster>`, which proves the
token was made for this cluster.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit

EKS_PREFIX = "k8s-aws-v1."
TOKEN_LIFETIME = 15 * 60
_STS_HOST = re.compile(r"^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")
_CREDENTIAL = re.compile(r"^([A-Z0-9]{4,128})/(\d{8})/([a-z0-9-]+)/sts/aws4_request$")


class TokenRejected(Exception):
    """Why a bearer token was not accepted (for the server's log, never sent to the client)."""


def _b64url(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as err:
        raise TokenRejected("not base64url") from err


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


# botocore (so `aws eks get-token`) presigns STS with the empty body's hash; UNSIGNED-PAYLOAD is S3's.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _signature(secret: str, date: str, region: str, amz_date: str, host: str, cluster: str,
               query: list[tuple[str, str]], signed_headers: str, payload: str = EMPTY_SHA256) -> str:
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query) if k != "X-Amz-Signature"
    )
    headers = {"host": host, "x-k8s-aws-id": cluster}
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{n}:{headers.get(n, '')}\n" for n in names)
    request = "\n".join(["GET", "/", canonical_query, canonical_headers, signed_headers, payload])
    scope = f"{date}/{region}/sts/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = _sign(_sign(_sign(_sign(("AWS4" + secret).encode(), date), region), "sts"), "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def check_eks_token(token: str, cluster: str, secrets: Mapping[str, str] | None = None,
                    sts_hosts: tuple[str, ...] = (), now: float | None = None) -> str:
    """The access key id behind a valid EKS token for `cluster`; raises TokenRejected otherwise."""
    if not token.startswith(EKS_PREFIX):
        raise TokenRejected("no k8s-aws-v1. prefix")
    url = urlsplit(_b64url(token[len(EKS_PREFIX):]))
    if url.scheme != "https":
        raise TokenRejected("not an https URL")
    host = url.netloc.lower()
    if not (_STS_HOST.match(host) or host in sts_hosts):
        raise TokenRejected(f"unexpected STS host {host}")
    if url.path not in ("", "/"):
        raise TokenRejected("unexpected path")
    query = parse_qsl(url.query, keep_blank_values=True)
    params = dict(query)
    if params.get("Action") != "GetCallerIdentity" or params.get("Version") != "2011-06-15":
        raise TokenRejected("not GetCallerIdentity")
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise TokenRejected("not SigV4")
    cred = _CREDENTIAL.match(params.get("X-Amz-Credential", ""))
    if not cred:
        raise TokenRejected("malformed X-Amz-Credential")
    signed = params.get("X-Amz-SignedHeaders", "")
    if "x-k8s-aws-id" not in signed.split(";") or "host" not in signed.split(";"):
        raise TokenRejected("x-k8s-aws-id is not a signed header")
    signature = params.get("X-Amz-Signature", "")
    if not re.fullmatch(r"[0-9a-f]{64}", signature):
        raise TokenRejected("malformed signature")
    try:
        issued = datetime.strptime(params.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(params.get("X-Amz-Expires", ""))
    except ValueError as err:
        raise TokenRejected("malformed X-Amz-Date or X-Amz-Expires") from err
    if not 0 < expires <= TOKEN_LIFETIME:
        raise TokenRejected("X-Amz-Expires out of range")
    age = (time.time() if now is None else now) - issued.timestamp()
    # aws-iam-authenticator accepts a token for 15 minutes from X-Amz-Date, whatever X-Amz-Expires says.
    if age > TOKEN_LIFETIME or age < -300:
        raise TokenRejected("expired")
    access_key, date, region = cred.groups()
    if secrets is not None:
        secret = secrets.get(access_key)
        if secret is None:
            raise TokenRejected("unknown access key")
        if not any(hmac.compare_digest(_signature(secret, date, region, params["X-Amz-Date"], url.netloc, cluster,
                                                  query, signed, payload), signature)
                   for payload in (EMPTY_SHA256, "UNSIGNED-PAYLOAD")):
            raise TokenRejected("signature does not match (wrong cluster name or key)")
    return access_key


class TokenCheck:
    """Accepts the static token, and EKS tokens for `eks_cluster` when that is set."""

    def __init__(self, token: str, eks_cluster: str | None = None, eks_secrets: Mapping[str, str] | None = None,
                 sts_hosts: tuple[str, ...] = ()):
        self.token = token
        self.eks_cluster = eks_cluster
        self.eks_secrets = eks_secrets
        self.sts_hosts = sts_hosts

    def user(self, authorization: str | None) -> str:
        """The authenticated user, or TokenRejected."""
        if not authorization:
            raise TokenRejected("no Authorization header")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise TokenRejected("not a bearer token")
        value = value.strip()
        if hmac.compare_digest(value.encode(), self.token.encode()):
            return "sim:static"
        if self.eks_cluster and value.startswith(EKS_PREFIX):
            return "eks:" + check_eks_token(value, self.eks_cluster, self.eks_secrets, self.sts_hosts)
        raise TokenRejected("unknown token")
