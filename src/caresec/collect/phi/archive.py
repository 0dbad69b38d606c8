"""ZIP archives: members scanned as files, within size, ratio, count and depth limits.

A member is skipped, with a problem naming ``archive.zip!member``, when it is encrypted, larger
than :attr:`Limits.max_member_bytes`, expands more than :attr:`Limits.max_ratio` times its
compressed size (a zip bomb), would take the archive past :attr:`Limits.max_archive_bytes`, or
is an archive nested deeper than :attr:`Limits.max_depth`. Reads are bounded whatever the
headers claim.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from caresec.collect.phi.context import FileContext
from caresec.model.problems import ProblemSeverity

_MIN_BOMB_BYTES = 1 << 20  # small members may compress well without being bombs


def scan_zip(ctx: FileContext, location: str, data: bytes,
             member: Callable[[str, bytes], None]) -> None:
    """Scan every member of a ZIP archive with ``member(location!name, bytes)``."""
    limits = ctx.limits
    if ctx.depth > limits.max_depth:
        ctx.problem(location, "", f"archive nested deeper than {limits.max_depth} levels; "
                    "not opened")
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        ctx.problem(location, "", f"not a readable ZIP archive ({exc})")
        return
    with archive:
        if len(infos) > limits.max_members:
            ctx.problem(location, "", f"{len(infos)} members; only the first "
                        f"{limits.max_members} were read", ProblemSeverity.WARNING)
            infos = infos[: limits.max_members]
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            name = f"{location}!{info.filename}"
            if info.flag_bits & 0x1:
                ctx.problem(name, "", "encrypted archive member; not read")
                continue
            if info.file_size > limits.max_member_bytes:
                ctx.problem(name, "", f"member of {info.file_size} bytes exceeds the "
                            f"{limits.max_member_bytes}-byte limit; skipped")
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio and info.file_size > _MIN_BOMB_BYTES:
                ctx.problem(name, "", f"expands {ratio:.0f}× ({info.compress_size} → "
                            f"{info.file_size} bytes): a zip bomb; skipped")
                continue
            if total + info.file_size > limits.max_archive_bytes:
                ctx.problem(name, "", f"the archive would exceed {limits.max_archive_bytes} "
                            "uncompressed bytes; this and later members were skipped")
                break
            try:
                with archive.open(info) as handle:
                    content = handle.read(limits.max_member_bytes + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError,
                    RuntimeError) as exc:
                ctx.problem(name, "", f"member not readable ({exc})")
                continue
            if len(content) > limits.max_member_bytes:
                ctx.problem(name, "", "member larger than its header says (past the limit); "
                            "skipped")
                continue
            total += len(content)
            ctx.depth += 1
            try:
                member(name, content)
            finally:
                ctx.depth -= 1
