"""Paginated lists decoded straight from the response bytes into api records.

The generated client is used only to build and send requests (`_preload_content=False`); its
model objects are never made (they cost ~14x the time and gigabytes per 20k slices).
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import msgspec
import urllib3
from kubernetes.client.exceptions import ApiException

from sliceaudit.api.decode import MalformedObject, Page, Rejected, decode_list
from sliceaudit.api.records import Record
from sliceaudit.kube.client import KubeClient
from sliceaudit.kube.errors import ClusterError, from_status, from_transport, is_transport
from sliceaudit.kube.resources import resource

MAX_ATTEMPTS = 6             # per page, for 429 and 5xx
MAX_TRANSPORT_ATTEMPTS = 3   # per page, for refused/reset connections and timeouts
MAX_RESTARTS = 3             # per list, for expired continue tokens
BACKOFF_BASE = 0.2
BACKOFF_CAP = 5.0
RETRY_AFTER_CAP = 30.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
# Bounds on what one list may hold, against a server whose pagination never ends. Kubernetes
# supports 150,000 Pods per cluster (its documented scalability thresholds): a list past these is
# not a cluster but a fault. A page is `page_size` objects of a few kB.
MAX_LIST_ITEMS = 250_000
MAX_PAGES = 10_000
MAX_PAGE_BYTES = 256 * 1024 * 1024
READ_CHUNK = 1024 * 1024
SLOW_ANSWER = 0.02   # seconds from request to headers past which the next pages are asked for on a thread


@dataclass(frozen=True)
class ListOptions:
    """How lists are read: objects per page, and the time.monotonic() by which they must end (None: no limit)."""

    page_size: int = 500
    deadline: float | None = None

    def within(self, seconds: float | None, now: float | None = None) -> ListOptions:
        """These options ending no later than `seconds` after `now` (default: now); None keeps them."""
        if seconds is None:
            return self
        deadline = (time.monotonic() if now is None else now) + seconds
        return replace(self, deadline=deadline if self.deadline is None else min(self.deadline, deadline))


@dataclass(frozen=True)
class Listed:
    """Everything one paginated list returned."""

    items: tuple[Record, ...]
    errors: tuple[Rejected, ...]
    resource_version: str


class _Expired(Exception):
    """410 Gone: the continue token (or the version behind it) is too old."""


def backoff(attempt: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Jittered exponential backoff for the `attempt`-th retry (1-based)."""
    return min(cap, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def retry_after(headers) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), capped."""
    value = headers.get("Retry-After") if headers else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, RETRY_AFTER_CAP))


def request_timeout(deadline: float | None, what: str) -> tuple[float, float]:
    """(connect, read) timeouts that end no later than the deadline."""
    if deadline is None:
        return (CONNECT_TIMEOUT, READ_TIMEOUT)
    left = deadline - time.monotonic()
    if left <= 0:
        raise deadline_reached(what)
    return (min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left))


def deadline_reached(what: str) -> ClusterError:
    return ClusterError(f"deadline reached while listing {what}", reason="timeout")


def too_large(what: str, limit: int) -> ClusterError:
    return ClusterError(f"a page of the {what} list is larger than {limit // (1024 * 1024)} MB", reason="too-large")


class _Watchdog:
    """Shuts a response's socket at the deadline, so a read blocked in it (a server sending one byte
    every few seconds never trips a socket timeout) ends there; a no-op once the read is done."""

    def __init__(self, resp, seconds: float):
        self.fired = False
        self._resp = resp
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            with contextlib.suppress(Exception):   # released or closed meanwhile: nothing left to stop
                self._resp.shutdown()

    def close(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


def read_body(resp, deadline: float | None, what: str, limit: int = MAX_PAGE_BYTES) -> bytes:
    """The whole body, bounded by the deadline and by `limit`.

    A body of declared length (Content-Length, as the API server sends lists) is read in one call,
    the socket's reads looping in C (twice as fast as a read at a time from Python), and a
    `_Watchdog` ends it at the deadline. A chunked body is read a socket read at a time, the
    deadline checked between reads.
    """
    length = getattr(resp, "length_remaining", None)
    if length is not None:
        if length > limit:
            raise too_large(what, limit)
        if deadline is None:
            return resp.read()
        left = deadline - time.monotonic()
        if left <= 0:
            raise deadline_reached(what)
        _set_timeout(resp, min(READ_TIMEOUT, left))
        watchdog = _Watchdog(resp, left)
        try:
            return resp.read()
        except Exception:
            if watchdog.fired:
                raise deadline_reached(what) from None
            raise
        finally:
            watchdog.close()
    parts: list[bytes] = []
    size = 0
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise deadline_reached(what)
            _set_timeout(resp, min(READ_TIMEOUT, left))
        try:
            chunk = resp.read1(READ_CHUNK)
        except Exception:
            if deadline is not None and time.monotonic() >= deadline - 0.05:
                raise deadline_reached(what) from None   # the read's timeout was what was left
            raise
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise too_large(what, limit)
        parts.append(chunk)


def _set_timeout(resp, seconds: float) -> None:
    sock = getattr(getattr(resp, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def wait(delay: float, deadline: float | None, cause: ClusterError,
         sleep: Callable[[float], object] = time.sleep) -> None:
    """Sleeps before a retry, or gives up with `cause` when the deadline would pass first."""
    if deadline is not None and time.monotonic() + delay >= deadline:
        raise ClusterError(f"{cause} (deadline reached)", reason=cause.reason, status=cause.status)
    sleep(delay)


def open_page(client: KubeClient, kind: str, namespace: str | None, listing: ListOptions,
              continue_token: str | None) -> urllib3.HTTPResponse:
    """The request for one page sent and its headers read; the body stays unread."""
    return client.open(kind, namespace, timeout=request_timeout(listing.deadline, resource(kind).resource),
                       limit=listing.page_size, _continue=continue_token)


class Opened:
    """A page's first attempt, made early: its request sent and its headers awaited (the server builds
    the page meanwhile) before the caller decodes the previous page; the body is left to the caller.
    What opening raised is raised where `fetch_page` takes it, so it is retried as its own attempt
    would be.

    Inline by default: a thread costs the caller GIL hand-overs that, against a server answering at
    once, made a 20k-slice list 0.3 s slower. `background` sends it from a thread of its own, so that
    the time a slow server takes to answer overlaps the caller's decode instead of adding to it.
    """

    def __init__(self, client: KubeClient, kind: str, namespace: str | None, listing: ListOptions,
                 continue_token: str | None, *, background: bool = False):
        self._what = resource(kind).resource
        self._deadline = listing.deadline
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._response: urllib3.HTTPResponse | None = None
        self._error: Exception | None = None
        self._discarded = False
        self.seconds: float | None = None   # how long the server took to answer, when inline
        request = (client, kind, namespace, listing, continue_token)
        if background:
            threading.Thread(target=self._open, args=request, name="open-page", daemon=True).start()
        else:
            started = time.monotonic()
            self._open(*request)
            self.seconds = time.monotonic() - started

    def _open(self, *request) -> None:
        response, error = None, None
        try:
            response = open_page(*request)
        except Exception as err:
            error = err
        with self._lock:
            if self._discarded:
                if response is not None:
                    _drop(response)
            else:
                self._response, self._error = response, error
        self._done.set()

    def take(self) -> urllib3.HTTPResponse:
        """The response, its body unread; raises what opening raised, or at the deadline."""
        wait = None if self._deadline is None else max(0.0, self._deadline - time.monotonic()) + 0.05
        if not self._done.wait(wait):
            self.discard()
            raise deadline_reached(self._what)
        with self._lock:
            response, error, self._response, self._error = self._response, self._error, None, None
        if error is not None:
            raise error
        return response

    def discard(self) -> None:
        """Drops the response, now or when it arrives: its connection is closed, not reused with a body on it."""
        with self._lock:
            self._discarded = True
            response, self._response = self._response, None
        if response is not None:
            _drop(response)


def _drop(response: urllib3.HTTPResponse) -> None:
    response.close()
    response.release_conn()


def fetch_page(client: KubeClient, kind: str, namespace: str | None = None, *, listing: ListOptions = ListOptions(),
               continue_token: str | None = None, sleep: Callable[[float], object] = time.sleep,
               opened: Opened | None = None) -> bytes:
    """One page's raw bytes, retried on 429 (honouring Retry-After), 5xx and dropped connections;
    `opened`, the same page's request already sent, is its first attempt."""
    res = resource(kind)
    deadline = listing.deadline
    attempt = transport_attempt = 0
    while True:
        attempt += 1
        try:
            if opened is not None:
                first, opened = opened, None
                resp = first.take()
            else:
                resp = open_page(client, kind, namespace, listing, continue_token)
            try:
                return read_body(resp, deadline, res.resource)
            finally:
                resp.release_conn()
        except ApiException as err:
            if err.status == 0 or err.status is None:
                raise from_transport(err, client.host) from None
            if err.status == 410:
                raise _Expired() from None
            if (err.status == 429 or err.status >= 500) and attempt < MAX_ATTEMPTS:
                delay = retry_after(err.headers) if err.status == 429 else None
                cause = from_status(err.status, res.resource, namespace, attempts=attempt)
                wait(backoff(attempt) if delay is None else delay, deadline, cause, sleep)
                continue
            raise from_status(err.status, res.resource, namespace, attempts=attempt) from None
        except ClusterError:
            raise
        except Exception as err:
            if not is_transport(err):
                raise
            cause = from_transport(err, client.host)
            transport_attempt += 1
            if cause.reason in ("tls", "dns") or transport_attempt >= MAX_TRANSPORT_ATTEMPTS:
                raise cause from None
            wait(backoff(transport_attempt), deadline, cause, sleep)


def decode_page(kind: str, data: bytes) -> Page:
    try:
        return decode_list(kind, data)
    except MalformedObject as err:
        raise ClusterError(f"malformed {resource(kind).resource} list response: {err}",
                           reason="malformed") from None
    except RecursionError:
        raise ClusterError(f"malformed {resource(kind).resource} list response: nested too deeply",
                           reason="malformed") from None


class _ListMeta(msgspec.Struct):
    continue_token: str | None = msgspec.field(default=None, name="continue")


class _ListHead(msgspec.Struct):
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)


_head = msgspec.json.Decoder(_ListHead)


def _next_token(data: bytes) -> str | None:
    """The continue token alone, read without building the items (they are only skipped)."""
    try:
        return _head.decode(data).metadata.continue_token or None
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None  # decode_page says what is wrong with the page


class _Pagination:
    """Ends a list whose pagination would never end: a continue token seen before, or more pages or
    objects than any cluster holds. Tokens are kept as digests, so memory stays bounded too."""

    def __init__(self, kind: str):
        self.what = resource(kind).resource
        self.pages = self.items = 0
        self._seen: set[bytes] = set()

    def count(self, items: int) -> None:
        self.items += items
        if self.items > MAX_LIST_ITEMS:
            raise ClusterError(f"list of {self.what} passed {MAX_LIST_ITEMS} objects ({self.pages} pages): "
                               "stopped, the server's pagination does not end", reason="unbounded")

    def next(self, token: str | None) -> None:
        """Called with each page's continue token before the next page is asked for."""
        self.pages += 1
        if token is None:
            return
        if self.pages >= MAX_PAGES:
            raise ClusterError(f"list of {self.what} passed {MAX_PAGES} pages: stopped, the server's "
                               "pagination does not end", reason="unbounded")
        digest = hashlib.sha256(token.encode()).digest()
        if digest in self._seen:
            raise ClusterError(f"list of {self.what}: the server sent the same continue token again "
                               f"(page {self.pages}): stopped, its pagination would never end", reason="unbounded")
        self._seen.add(digest)


def iter_pages(client: KubeClient, kind: str, namespace: str | None = None, *, listing: ListOptions = ListOptions(),
               sleep: Callable[[float], object] = time.sleep) -> Iterator[Page | None]:
    """The pages of one consistent list of `kind`; None when an expired continue token restarts the
    list, so the consumer drops what the earlier pages gave.

    The next page is asked for (`Opened`) before this one is decoded and handed on: the server builds
    it and writes it into the socket's buffers meanwhile, and it is read here once this one is done.
    Reading the body on another thread was slower than reading the pages one after the other: that
    thread needs the GIL back for every 16 kB TLS record, and waits for it behind the decode each time.
    """
    for attempt in range(MAX_RESTARTS + 1):
        if attempt:
            yield None
        bounds = _Pagination(kind)
        opened: Opened | None = None
        token: str | None = None
        slow = False   # the server takes SLOW_ANSWER or more to answer: ask on a thread from then on
        try:
            while True:
                try:
                    data = fetch_page(client, kind, namespace, listing=listing, continue_token=token, sleep=sleep,
                                      opened=opened)
                except _Expired:
                    break  # a consistent snapshot needs a fresh start, not the server's inconsistent token
                opened = None
                token = _next_token(data)
                bounds.next(token)
                if token:
                    opened = Opened(client, kind, namespace, listing, token, background=slow)
                    slow = slow or (opened.seconds or 0.0) >= SLOW_ANSWER
                page = decode_page(kind, data)
                del data
                bounds.count(len(page.items) + len(page.errors))
                yield page
                del page   # a consumer that dropped the page's records frees them before the next decode
                if not token:
                    return
        finally:
            if opened is not None:
                opened.discard()
    raise ClusterError(f"list of {resource(kind).resource} kept expiring (410 Gone) after "
                       f"{MAX_RESTARTS} restarts", reason="expired", status=410)


def list_kind(client: KubeClient, kind: str, namespace: str | None = None, *, listing: ListOptions = ListOptions(),
              sleep: Callable[[float], object] = time.sleep, keep: Callable[[Record], object] | None = None) -> Listed:
    """Every object of `kind` (in `namespace`, or all), restarting when a continue token expires.

    With `keep`, the items are what `keep(record)` made of each record as its page arrived, so each
    page's records are freed before the next is decoded (the exporter keeps compact copies).
    """
    items: list = []
    errors: list[Rejected] = []
    version = ""
    for page in iter_pages(client, kind, namespace, listing=listing, sleep=sleep):
        if page is None:
            items, errors = [], []
            continue
        items.extend(page.items if keep is None else map(keep, page.items))
        errors.extend(page.errors)
        version = page.resource_version
    return Listed(tuple(items), tuple(errors), version)
