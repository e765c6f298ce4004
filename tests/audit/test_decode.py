"""The parsing boundary: list pages and watch events, malformed input rejected with a name and a reason."""

from __future__ import annotations

import json

import pytest

from sliceaudit.api.decode import MalformedObject, decode_list, decode_watch_event

SLICE = {"metadata": {"name": "web-1", "namespace": "shop", "resourceVersion": "42"},
         "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}], "ports": None}


def line(obj) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize("event, expected", [
    ({"type": "ADDED", "object": SLICE}, ("ADDED", "web-1", None, "42")),
    ({"type": "DELETED", "object": SLICE}, ("DELETED", "web-1", None, "42")),
    ({"type": "BOOKMARK", "object": {"kind": "EndpointSlice", "metadata": {"resourceVersion": "99"}}},
     ("BOOKMARK", None, None, "99")),
    ({"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}},
     ("ERROR", None, 410, "")),
])
def test_watch_events(event, expected):
    got = decode_watch_event("EndpointSlice", line(event))
    name = got.object.metadata.name if got.object is not None else None
    code = got.status.get("code") if got.status is not None else None
    assert (got.type, name, code, got.resource_version) == expected


@pytest.mark.parametrize("raw, needle", [
    (b"{not json", "watch event"),
    (line({"type": "ADDED"}), "without an object"),
    (line({"type": "MODIFIED", "object": {**SLICE, "ports": "http"}}), "$.ports"),
])
def test_malformed_watch_events_are_rejected_with_a_reason(raw, needle):
    with pytest.raises(MalformedObject) as err:
        decode_watch_event("EndpointSlice", raw)
    assert needle in str(err.value)


def test_list_page_keeps_good_items_and_names_bad_ones():
    page = decode_list("EndpointSlice", line({
        "metadata": {"resourceVersion": "7", "continue": "tok", "remainingItemCount": 3},
        "items": [SLICE, {**SLICE, "metadata": {"name": "bad", "namespace": "shop"}, "endpoints": 5}, 17]}))
    assert [s.metadata.name for s in page.items] == ["web-1"]
    assert [e.object for e in page.errors] == ["EndpointSlice shop/bad", "EndpointSlice (unnamed)"]
    # remainingItemCount is no part of a page: nothing reads it (it is a hint, absent on some servers).
    assert (page.resource_version, page.continue_token) == ("7", "tok")


def test_a_page_that_is_not_json_is_one_error():
    with pytest.raises(MalformedObject, match="not JSON"):
        decode_list("Service", b"<html>502 Bad Gateway</html>")
