"""Download the advisory feeds into a feeds folder (the only network code in caresec).

Sources (checked 2025):

* OSV: one archive per ecosystem, ``<base>/<Ecosystem>/all.zip`` with base
  ``https://osv-vulnerabilities.storage.googleapis.com`` (OSV data dumps documentation);
  saved as ``osv/<Ecosystem>.zip``.
* CISA KEV: ``https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json``;
  saved as ``kev.json``.
* FIRST EPSS: the daily CSV, now served from ``https://epss.empiricalsecurity.com`` (the
  former ``epss.cyentia.com`` host mirrors it); ``epss_scores-current.csv.gz`` saved as
  ``epss.csv.gz``.

Every download has a timeout and a size limit, is written to a temporary file beside its
destination, checked (the archive opens, the KEV/EPSS file parses) and only then moved over
the old file (``os.replace``), so a failed download never leaves a broken feed behind.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from caresec import __version__
from caresec.collect.epss import read_epss
from caresec.collect.kev import read_kev
from caresec.errors import FeedError, InputError

__all__ = [
    "DEFAULT_ECOSYSTEMS",
    "EPSS_URL",
    "KEV_URL",
    "MAX_EPSS_BYTES",
    "MAX_KEV_BYTES",
    "MAX_OSV_ZIP_BYTES",
    "OSV_BASE_URL",
    "Download",
    "download_file",
    "osv_archive_url",
    "update_feeds",
]

OSV_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"

DEFAULT_ECOSYSTEMS: tuple[str, ...] = (
    "PyPI", "npm", "Maven", "Go", "NuGet", "RubyGems", "crates.io",
)
"""Ecosystems downloaded when none are named: the language ecosystems caresec matches."""

MAX_OSV_ZIP_BYTES = 2 * 1024 * 1024 * 1024
MAX_KEV_BYTES = 64 * 1024 * 1024
MAX_EPSS_BYTES = 256 * 1024 * 1024
TIMEOUT_SECONDS = 60.0
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Download:
    """Outcome of one feed download: ``path`` written with ``size`` bytes, or ``error``."""

    name: str
    url: str
    path: Path
    size: int = 0
    error: str = ""


def osv_archive_url(base_url: str, ecosystem: str) -> str:
    """``<base_url>/<Ecosystem>/all.zip`` with the ecosystem URL-quoted (``Red%20Hat``)."""
    return f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem, safe='')}/all.zip"


def download_file(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout: float = TIMEOUT_SECONDS,
    check: Callable[[Path], None] | None = None,
) -> int:
    """Download ``url`` to ``dest`` atomically.

    Args:
        url: an ``https://`` (or ``http://``) URL.
        dest: the file to write; its folder is created.
        max_bytes: refuse a body longer than this (by ``Content-Length`` or while reading).
        timeout: seconds allowed for connecting and for each read.
        check: called with the temporary file before it replaces ``dest``; raises
            :class:`FeedError` when the content is unusable.

    Returns:
        The number of bytes written.

    Raises:
        FeedError: bad URL scheme, HTTP error status, network error or timeout, body over
            ``max_bytes``, failed ``check``, or the file cannot be written. ``dest`` is then
            left as it was.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in {"https", "http"}:
        raise FeedError(f"{url}: only https:// and http:// URLs are downloaded")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"User-Agent": f"caresec/{__version__}"}
    )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    except OSError as exc:
        raise FeedError(f"{dest}: cannot write the download: {exc.strerror or exc}") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            size = _fetch(request, url, out, max_bytes, timeout)
        if check is not None:
            check(temp)
        os.replace(temp, dest)
        return size
    except OSError as exc:
        raise FeedError(f"{dest}: cannot write the download: {exc.strerror or exc}") from exc
    finally:
        temp.unlink(missing_ok=True)


def _fetch(
    request: urllib.request.Request, url: str, out: IO[bytes], max_bytes: int, timeout: float
) -> int:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FeedError(f"{url}: {declared} bytes is over the {max_bytes}-byte limit")
            size = 0
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"{url}: over the {max_bytes}-byte limit; download stopped")
                out.write(chunk)
            return size
    except urllib.error.HTTPError as exc:
        raise FeedError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise FeedError(f"{url}: cannot download: {exc.reason}") from exc
    except TimeoutError as exc:
        raise FeedError(f"{url}: no answer within {timeout:g} seconds") from exc


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FeedError(f"the download is not a readable zip archive: {exc}") from exc


def _check_kev(path: Path) -> None:
    try:
        read_kev(path)
    except InputError as exc:
        raise FeedError(f"the download is not a KEV catalog: {exc.detail}") from exc


def _check_epss(path: Path) -> None:
    try:
        read_epss(path)
    except InputError as exc:
        raise FeedError(f"the download is not an EPSS CSV: {exc.detail}") from exc


def update_feeds(
    feeds_dir: Path,
    *,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    osv_base_url: str = OSV_BASE_URL,
    kev_url: str = KEV_URL,
    epss_url: str = EPSS_URL,
    timeout: float = TIMEOUT_SECONDS,
    progress: Callable[[str], None] | None = None,
) -> list[Download]:
    """Download the OSV archives of ``ecosystems``, the KEV catalog and the EPSS scores.

    Writes ``feeds_dir/osv/<Ecosystem>.zip``, ``feeds_dir/kev.json`` and
    ``feeds_dir/epss.csv.gz``. One failed feed does not stop the others.

    Returns:
        One :class:`Download` per feed, in the order tried; failed ones carry ``error``.
    """
    say = progress or (lambda _line: None)
    jobs: list[tuple[str, str, Path, int, Callable[[Path], None]]] = [
        (f"OSV {eco}", osv_archive_url(osv_base_url, eco), feeds_dir / "osv" / f"{eco}.zip",
         MAX_OSV_ZIP_BYTES, _check_zip)
        for eco in ecosystems
    ]
    jobs.append(("CISA KEV", kev_url, feeds_dir / "kev.json", MAX_KEV_BYTES, _check_kev))
    jobs.append(("FIRST EPSS", epss_url, feeds_dir / "epss.csv.gz", MAX_EPSS_BYTES, _check_epss))
    results = []
    for name, url, dest, limit, check in jobs:
        say(f"Downloading {name} from {url}")
        try:
            size = download_file(url, dest, max_bytes=limit, timeout=timeout, check=check)
        except FeedError as exc:
            results.append(Download(name=name, url=url, path=dest, error=str(exc)))
            say(f"{name}: failed: {exc}")
            continue
        results.append(Download(name=name, url=url, path=dest, size=size))
        say(f"{name}: {size} bytes written to {dest}")
    return results
