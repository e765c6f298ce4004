"""Pagination that never ends stops with a clear error, in bounded memory: a repeated continue token
at once, fresh tokens at the page or object cap (listing.MAX_PAGES, MAX_LIST_ITEMS)."""

from __future__ import annotations

import json

import pytest
import yaml

from hostile.cli_runner import run
from hostile.hostile_api import HostileApi
from sliceaudit.kube.pages import MAX_LIST_ITEMS, MAX_PAGES

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("mode, message", [
    ("same-token", "the server sent the same continue token again (page 2): stopped, its pagination would "
                   "never end"),
    ("endless-pages", f"passed {MAX_LIST_ITEMS} objects"),
    ("empty-pages", f"passed {MAX_PAGES} pages: stopped, the server's pagination does not end"),
])
def test_endless_pagination_is_one_clear_error(tmp_path, mode, message):
    with HostileApi(mode) as api:
        config = tmp_path / "config"
        config.write_text(yaml.safe_dump(api.kubeconfig(mode)))
        result = run("scan", "--kubeconfig", str(config), "-o", "json", "--owners", "none", timeout=240)
        pages = api.pages
    (cluster,) = json.loads(result.stdout)["clusters"]
    (error,) = cluster["errors"]
    assert error["object"] == "cluster" and message in error["message"], error
    assert result.returncode == 2
    assert pages <= MAX_PAGES + 2   # it stopped asking (one page may be in flight)
