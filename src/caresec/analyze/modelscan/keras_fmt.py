"""Keras models: the v3 ``.keras`` archive and legacy HDF5 (``.h5``) files.

``.keras`` follows ``keras/src/saving/saving_lib.py``: a ZIP with ``metadata.json``,
``config.json`` (the serialized model: nested objects with ``module``, ``class_name``,
``config`` and ``registered_name``), ``model.weights.h5`` (or ``.npz``) and an optional
``assets/`` folder. A legacy ``.h5`` keeps the config as JSON in the root attribute
``model_config`` (``keras/src/legacy/saving/legacy_h5_format.py``).

Code can enter a Keras model through a ``Lambda`` layer (marshalled Python bytecode), a
``__lambda__`` function object, a ``TFSMLayer`` (loads a TensorFlow SavedModel), a custom
object (``registered_name`` ``package>Name``) or any ``module`` outside Keras (CVE-2025-1550:
``config.json`` naming arbitrary modules). Every serialized object is checked against the
allow-list in ``model-security.yaml``; HDF5 external links, external storage and virtual
datasets (which read other files) are refused.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import h5py

from caresec.analyze.modelscan.archive import ZipListing, extract
from caresec.analyze.modelscan.context import Context, ScanUnit
from caresec.model.ai_model import IssueKind

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_KERAS_FILES = ("config.json", "metadata.json")
_WEIGHTS = ("model.weights.h5", "model.weights.npz")


def is_keras(listing: ZipListing) -> bool:
    """True when the archive has Keras v3's ``config.json`` and ``metadata.json`` at its root."""
    names = {m.name for m in listing.members}
    return all(name in names for name in _KERAS_FILES)


def _objects(node: object, pointer: str = "") -> Iterator[tuple[dict[str, object], str]]:
    if isinstance(node, dict):
        yield node, pointer or "/"
        for key, value in node.items():
            yield from _objects(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{pointer}/{index}")


def check_config(ctx: Context, config: object, part: str) -> None:
    """Check every serialized object of a Keras config (v3 or legacy); issues name the JSON
    pointer of the object."""
    cat = ctx.catalog
    for obj, pointer in _objects(config):
        if obj.get("function_type") == "lambda":
            ctx.issue(IssueKind.EXECUTABLE_LAYER,
                      f"{pointer}: serialized Python lambda (marshalled bytecode)", part)
        class_name = obj.get("class_name")
        if not isinstance(class_name, str):
            continue
        module = obj.get("module")
        registered = obj.get("registered_name")
        if class_name in cat.keras_denied:
            ctx.issue(IssueKind.EXECUTABLE_LAYER,
                      f"{pointer}: {class_name} layer runs or loads code", part)
        elif isinstance(module, str):
            if module not in cat.keras_modules:
                ctx.issue(IssueKind.EXECUTABLE_LAYER,
                          f"{pointer}: object from module {module!r} (outside the Keras "
                          "allow-list; CVE-2025-1550 class)", part)
            elif class_name == "function" and not (
                    isinstance(obj.get("config"), str)
                    and str(obj.get("config")).isidentifier()):
                ctx.issue(IssueKind.EXECUTABLE_LAYER,
                          f"{pointer}: function reference {obj.get('config')!r} is not a plain "
                          "name", part)
            if isinstance(registered, str) and ">" in registered:
                ctx.issue(IssueKind.EXECUTABLE_LAYER,
                          f"{pointer}: custom object {registered!r} needs user code to load",
                          part)
        elif "config" in obj and class_name not in cat.keras_legacy:
            ctx.issue(IssueKind.EXECUTABLE_LAYER,
                      f"{pointer}: class {class_name!r} is not a built-in Keras class (custom "
                      "object)", part)


def _json(ctx: Context, raw: bytes, part: str) -> object | None:
    try:
        parsed: object = json.loads(raw.decode("utf-8"))
        return parsed
    except (UnicodeDecodeError, ValueError) as exc:
        ctx.issue(IssueKind.PARSE_ERROR, f"not valid JSON: {exc}", part, 0)
        return None


def scan_keras(ctx: Context, data: bytes, listing: ZipListing, part: str, depth: int) -> None:
    """Check a ``.keras`` archive member by member."""
    if len(data) <= ctx.limits.max_member_bytes:
        ctx.units.append(ScanUnit(part, "keras", bytes(data)))
    for member in listing.members:
        member_part = f"{part}!{member.name}" if part else member.name
        ctx.parts.append(member_part)
        content = extract(data, member, part=part, limits=ctx.limits, budget=ctx.budget)
        ctx.issues.extend(content.issues)
        if content.content is None:
            continue
        raw = content.content
        if member.name == "config.json":
            config = _json(ctx, raw, member_part)
            if config is not None:
                check_config(ctx, config, member_part)
        elif member.name == "metadata.json":
            metadata = _json(ctx, raw, member_part)
            if metadata is not None and not isinstance(metadata, dict):
                ctx.issue(IssueKind.PARSE_ERROR, "metadata.json is not an object", member_part, 0)
        elif member.name in _WEIGHTS:
            ctx.inspect_part(ctx, raw, member_part, depth + 1)
        elif member.name.startswith("assets/") and not member.name.endswith("/"):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                ctx.inspect_part(ctx, raw, member_part, depth + 1)
        elif not member.name.endswith("/"):
            ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
                      "member is not part of a Keras v3 archive", member_part, 0)
            ctx.inspect_part(ctx, raw, member_part, depth + 1)


class _ReadOnlyBuffer(io.RawIOBase):
    """A read-only, seekable file over a bytes-like object (no copy), for h5py."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._view = memoryview(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), len(self._view) - self._pos))
        buffer[:count] = self._view[self._pos : self._pos + count]
        self._pos += count
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


def scan_hdf5(ctx: Context, data: bytes, part: str) -> bool:
    """Check an HDF5 file; returns True when it holds a Keras ``model_config``.

    Uses h5py (libhdf5) on a read-only view of the bytes: nothing is read from other files.
    """
    try:
        with h5py.File(_ReadOnlyBuffer(data), "r") as handle:
            _check_links(ctx, handle, part)
            raw = handle.attrs.get("model_config")
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, UnicodeError) as exc:
        ctx.issue(IssueKind.PARSE_ERROR, f"not a readable HDF5 file: {exc}", part, 0)
        return False
    if raw is None:
        return False
    if len(data) <= ctx.limits.max_member_bytes:
        ctx.units.append(ScanUnit(part, "keras-h5", bytes(data)))
    encoded = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
    config = _json(ctx, encoded, part + "#model_config")
    if config is not None:
        check_config(ctx, config, part + "#model_config")
    return True


def _check_links(ctx: Context, handle: h5py.File, part: str) -> None:
    problems: list[str] = []

    def visit(name: str, link: object) -> None:
        if isinstance(link, (h5py.ExternalLink, h5py.SoftLink)):
            if isinstance(link, h5py.ExternalLink):
                problems.append(f"{name}: external link to {link.filename!r}")
            return
        obj = handle.get(name)
        if isinstance(obj, h5py.Dataset):
            if obj.external:
                problems.append(f"{name}: dataset stored in external file(s)")
            if obj.is_virtual:
                problems.append(f"{name}: virtual dataset mapping other files")

    handle.visititems_links(visit)
    for problem in problems:
        ctx.issue(IssueKind.EXTERNAL_DATA, problem, part)
