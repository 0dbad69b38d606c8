"""TAXII 2.1 client side: pull a collection page by page, push a bundle (taxii2-client).

Source: OASIS TAXII 2.1 (CS01): §4.1 server discovery, §4.2 API root (``max_content_length``),
§5.1–5.2 collections (``can_read``, ``can_write``), §5.3 Get Objects (``added_after``,
``limit``, ``next``, ``more``; response header ``X-TAXII-Date-Added-Last``), §5.4 Add Objects
(status resource), §1.6.8 media type ``application/taxii+json;version=2.1``.

A pull stores each page in one transaction together with that page's
``X-TAXII-Date-Added-Last``, which the next pull sends as ``added_after``: a failure on a later
page keeps every earlier page and the position reached.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from taxii2client import exceptions as taxii_errors
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import ApiRoot, Collection, Server

from caresec.errors import FeedError
from caresec.intel.stix_import import DEFAULT_MAX_BUNDLE_BYTES, check_objects
from caresec.intel.store import IntelStore
from caresec.model.problems import InputProblem

MEDIA_TYPE = "application/taxii+json;version=2.1"
STATE_ADDED_AFTER = "added_after"
DEFAULT_PAGE_SIZE = 100
DEFAULT_TIMEOUT = 30.0
MAX_PAGES = 100_000

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TaxiiEndpoint:
    """Where a TAXII 2.1 collection is.

    Attributes:
        url: the server's discovery URL (``…/taxii2/``) or an API root URL.
        collection: the collection id, or its title.
        api_root: with a discovery URL, the API root to use (its URL, or the last path
            segment such as ``trustgroup1``); ``""`` = the server's ``default``.
        username, password: HTTP Basic credentials (``""`` = none).
        page_size: ``limit`` asked per page.
        timeout: seconds per HTTP request.
        verify_tls: verify the server certificate.
    """

    url: str
    collection: str
    api_root: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = DEFAULT_TIMEOUT
    verify_tls: bool = True


@dataclass(frozen=True, slots=True)
class PullReport:
    """What one pull did.

    Attributes:
        source: the source name.
        pages: pages received.
        received: objects received.
        stored: object versions new to the store.
        added_after_before, added_after_now: the ``added_after`` position before and after.
        problems: objects skipped (invalid), per page.
        error: why the pull stopped early (``""`` when it completed); what was stored before
            stays stored.
    """

    source: str
    pages: int = 0
    received: int = 0
    stored: int = 0
    added_after_before: str = ""
    added_after_now: str = ""
    problems: tuple[InputProblem, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class PushReport:
    """The TAXII status of one push: ``status`` and counts (TAXII 2.1 §4.3.1)."""

    status: str
    total: int
    success: int
    failure: int
    pending: int
    failures: tuple[str, ...] = ()


class _Session(requests.Session):
    """A session with a default timeout and the last response's headers kept."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.last_headers: dict[str, str] = {}
        self.last_size = 0
        self.hooks["response"].append(self._keep)

    def _keep(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.last_headers = dict(response.headers)
        self.last_size = len(response.content)

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def _connection(endpoint: TaxiiEndpoint) -> tuple[Any, _Session]:
    conn = _HTTPConnection(version="2.1")
    session = _Session(endpoint.timeout)
    session.verify = endpoint.verify_tls
    if endpoint.username or endpoint.password:
        session.auth = requests.auth.HTTPBasicAuth(endpoint.username, endpoint.password)
    conn.session.close()
    conn.session = session
    return conn, session


def _http_error(exc: Exception, what: str) -> FeedError:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status == 401:
            return FeedError(f"{what}: the TAXII server refused the credentials (HTTP 401 "
                             f"Unauthorized).", hint="Set the user name and password in the "
                             "environment variables named by username_env/password_env.")
        if status == 403:
            return FeedError(f"{what}: the account may not use this resource (HTTP 403 "
                             f"Forbidden).")
        if status == 404:
            return FeedError(f"{what}: not found on the server (HTTP 404); check the API root "
                             f"and collection id.")
        if status == 406:
            return FeedError(f"{what}: the server does not serve TAXII 2.1 (HTTP 406 Not "
                             f"Acceptable for {MEDIA_TYPE}).", hint="caresec speaks TAXII "
                             "2.1 only; check that the URL is a TAXII 2.1 server or API root.")
        if status == 413:
            return FeedError(f"{what}: the server refused the request as too large (HTTP 413).")
        return FeedError(f"{what}: HTTP {status} {exc.response.reason}.")
    if isinstance(exc, requests.Timeout):
        return FeedError(f"{what}: no answer within the timeout.")
    if isinstance(exc, requests.ConnectionError):
        return FeedError(f"{what}: cannot connect ({exc.__class__.__name__}).")
    if isinstance(exc, taxii_errors.AccessError):
        return FeedError(f"{what}: {exc}.")
    return FeedError(f"{what}: {' '.join(str(exc).split())}")


_ERRORS = (requests.RequestException, taxii_errors.TAXIIServiceException, ValueError, KeyError)


def _api_root(endpoint: TaxiiEndpoint, conn: Any) -> Any:
    url = endpoint.url if endpoint.url.endswith("/") else endpoint.url + "/"
    server = Server(url, conn=conn)
    try:
        server.refresh()
    except _ERRORS as exc:
        raise _http_error(exc, f"TAXII server {url}") from exc
    roots = [str(r.url) for r in server.api_roots]
    if not roots:
        return ApiRoot(url, conn=conn)  # the URL is itself an API root
    wanted = endpoint.api_root.strip("/")
    if wanted:
        chosen = next((r for r in roots if r.rstrip("/") == endpoint.api_root.rstrip("/")
                       or r.rstrip("/").rsplit("/", 1)[-1] == wanted), None)
    elif server.default is not None:
        chosen = str(server.default.url)
    else:
        chosen = roots[0] if len(roots) == 1 else None
    if not chosen:
        named = f" named {wanted!r}" if wanted else " chosen (the server names no default)"
        raise FeedError(f"TAXII server {url}: no API root{named}; the server lists "
                        f"{', '.join(roots)}.", hint="Set api_root to one of them.")
    return ApiRoot(chosen, conn=conn)


def _collection(endpoint: TaxiiEndpoint, conn: Any) -> Any:
    root = _api_root(endpoint, conn)
    try:
        collections = list(root.collections)
    except _ERRORS as exc:
        raise _http_error(exc, f"TAXII API root {root.url}") from exc
    for collection in collections:
        if endpoint.collection in (collection.id, collection.title):
            return collection
    listed = ", ".join(f"{c.id} ({c.title})" for c in collections) or "none"
    raise FeedError(f"TAXII API root {root.url}: no collection {endpoint.collection!r}; the "
                    f"server lists {listed}.")


def pull(endpoint: TaxiiEndpoint, store: IntelStore, source: str, *,
         max_bytes: int = DEFAULT_MAX_BUNDLE_BYTES, progress: Progress | None = None,
         ) -> PullReport:
    """Pull new objects of a TAXII 2.1 collection into the store.

    Sends ``added_after`` = the ``X-TAXII-Date-Added-Last`` remembered from the last pull,
    follows ``next`` while ``more`` is true, validates every object (invalid ones are skipped
    with a problem) and stores each page with the new position in one transaction.

    Returns:
        A :class:`PullReport`; ``error`` says why a pull stopped early (HTTP 401/403/404/406,
        a paging error, a page above ``max_bytes``, an unreachable server).
    """
    say = progress or (lambda _m: None)
    conn, session = _connection(endpoint)
    before = store.state(source, STATE_ADDED_AFTER) or ""
    position = before
    pages = received = stored = 0
    problems: list[InputProblem] = []
    try:
        collection: Collection = _collection(endpoint, conn)
        if not collection.can_read:
            raise FeedError(f"TAXII collection {collection.url}: can_read is false; the "
                            f"account may not read it.")
        next_token: str | None = None
        while pages < MAX_PAGES:
            filters: dict[str, Any] = {"limit": endpoint.page_size}
            if before:
                filters["added_after"] = before
            if next_token:
                filters["next"] = next_token
            where = f"TAXII collection {collection.url} (page {pages + 1})"
            try:
                envelope = collection.get_objects(accept=MEDIA_TYPE, **filters)
            except _ERRORS as exc:
                raise _http_error(exc, where) from exc
            if session.last_size > max_bytes:
                raise FeedError(f"{where}: the page is {session.last_size / 1e6:.1f} MB, above "
                                f"the limit of {max_bytes / 1e6:.1f} MB.",
                                hint="Lower page_size for this source.")
            if not isinstance(envelope, dict):
                raise FeedError(f"{where}: the answer is not a TAXII envelope.")
            raw = envelope.get("objects", [])
            if not isinstance(raw, list):
                raise FeedError(f"{where}: \"objects\" is not a list.")
            valid, page_problems = check_objects(raw, where)
            problems.extend(page_problems)
            last = session.last_headers.get("X-TAXII-Date-Added-Last", "")
            state = {STATE_ADDED_AFTER: last} if last and last > position else {}
            stored += store.add(source, valid, state)
            position = state.get(STATE_ADDED_AFTER, position)
            pages += 1
            received += len(raw)
            say(f"{source}: page {pages}, {len(raw)} objects")
            more = envelope.get("more") is True
            next_token = str(envelope.get("next") or "")
            if not more:
                break
            if not next_token:
                raise FeedError(f"{where}: the server says more objects follow but gives no "
                                f"\"next\" token.")
    except FeedError as exc:
        return PullReport(source, pages, received, stored, before, position, tuple(problems),
                          str(exc))
    finally:
        conn.close()
    return PullReport(source, pages, received, stored, before, position, tuple(problems))


def push(endpoint: TaxiiEndpoint, bundle: dict[str, Any], *, timeout: float = 60.0,
         ) -> PushReport:
    """Add a bundle's objects to a TAXII 2.1 collection (§5.4) and wait for the status.

    Raises:
        FeedError: the collection cannot be written (``can_write`` false, HTTP 401/403/406),
            the envelope exceeds the API root's ``max_content_length``, or the server fails.
    """
    conn, _session = _connection(endpoint)
    try:
        collection = _collection(endpoint, conn)
        if not collection.can_write:
            raise FeedError(f"TAXII collection {collection.url}: can_write is false; the "
                            f"account may not add objects to it.")
        envelope = {"objects": bundle.get("objects", [])}
        data = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        root_url = collection.url.rsplit("/collections/", 1)[0] + "/"
        try:
            limit = int(ApiRoot(root_url, conn=conn).max_content_length or 0)
        except _ERRORS as exc:
            raise _http_error(exc, f"TAXII API root {root_url}") from exc
        if limit and len(data) > limit:
            raise FeedError(f"TAXII collection {collection.url}: the envelope is {len(data)} "
                            f"bytes, above the API root's max_content_length of {limit}.")
        try:
            status = collection.add_objects(data, wait_for_completion=True, poll_interval=1,
                                            timeout=timeout, accept=MEDIA_TYPE,
                                            content_type=MEDIA_TYPE)
        except _ERRORS as exc:
            raise _http_error(exc, f"TAXII collection {collection.url}") from exc
        failures = tuple(f"{f.get('id')}: {f.get('message', '')}".strip()
                         for f in (status.failures or []) if isinstance(f, dict))
        return PushReport(str(status.status), int(status.total_count or 0),
                          int(status.success_count or 0), int(status.failure_count or 0),
                          int(status.pending_count or 0), failures)
    finally:
        conn.close()
