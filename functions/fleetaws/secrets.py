"""Kubeconfigs kept in Secrets Manager: read at scan time, never carried in a message or a log line."""

from __future__ import annotations

from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from sliceaudit.kube.errors import ClusterError


def read_kubeconfig(secretsmanager, secret_id: str) -> dict[str, Any]:
    """The parsed kubeconfig in `secret_id` (YAML or JSON text); ClusterError in one line otherwise."""
    try:
        value = secretsmanager.get_secret_value(SecretId=secret_id)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "error")
        raise ClusterError(f"kubeconfig secret {secret_id}: {code}", reason="config") from None
    except BotoCoreError as err:
        raise ClusterError(f"kubeconfig secret {secret_id}: {type(err).__name__}", reason="config") from None
    text = value.get("SecretString")
    if text is None:
        text = value.get("SecretBinary", b"").decode("utf-8", "replace")
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError:
        # The parser's message quotes the text: it would put credentials in the logs.
        raise ClusterError(f"kubeconfig secret {secret_id}: not valid YAML or JSON", reason="config") from None
    if not isinstance(content, dict):
        raise ClusterError(f"kubeconfig secret {secret_id}: not a kubeconfig (a mapping)", reason="config")
    return content
