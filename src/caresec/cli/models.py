"""``caresec models scan``: fail-closed static scan of AI model files.

Exit codes: 0 every file passed; 1 at least one file is blocked; 2 usage error or a path that
cannot be read.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from caresec.analyze.modelscan import DEFAULT_REQUIRED, ScanPolicy
from caresec.analyze.modelscan.context import parse_global
from caresec.collect.model_inventory import is_document, scan_model_file
from caresec.errors import CaresecError, InputError
from caresec.model.ai_model import ScanVerdict

app = typer.Typer(help="Scan AI model files without loading them.", no_args_is_help=True,
                  add_completion=False)

EXIT_BLOCKED = 1


@app.callback()
def _group() -> None:
    """Scan AI model files without loading them (keeps ``scan`` a subcommand)."""


def _files(paths: list[Path]) -> list[tuple[Path, bool]]:
    """Files to scan, each with whether it came from walking a folder."""
    found: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            found.extend((p, True) for p in sorted(path.rglob("*"))
                         if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            found.append((path, False))
        else:
            raise InputError(str(path), "", "no such file or folder")
    return found


def _pairs(values: list[str]) -> frozenset[tuple[str, str]]:
    pairs = set()
    for value in values:
        try:
            pairs.add(parse_global(value))
        except ValueError as exc:
            raise CaresecError(f"--allow-global {exc}",
                               hint="For example --allow-global "
                                    "sklearn.linear_model._logistic:LogisticRegression") from exc
    return frozenset(pairs)


def verdict_dict(verdict: ScanVerdict) -> dict[str, object]:
    """A JSON-ready dict of one verdict (enum values as strings)."""

    def plain(value: object) -> object:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    data = plain(asdict(verdict))
    assert isinstance(data, dict)
    data["blocked"] = verdict.blocked
    return data


def render_json(verdicts: list[ScanVerdict], skipped: list[str] | None = None) -> str:
    """The ``--json`` document: ``{"files": [...], "skipped": [...], "summary": {...}}``."""
    blocked = sum(v.blocked for v in verdicts)
    document = {
        "files": [verdict_dict(v) for v in verdicts],
        "skipped": skipped or [],
        "summary": {"files": len(verdicts), "passed": len(verdicts) - blocked,
                    "blocked": blocked},
    }
    return json.dumps(document, indent=2) + "\n"


def render_text(verdicts: list[ScanVerdict], skipped: list[str] | None = None) -> str:
    """One block per file: outcome, path, format; every issue; every scanner's version."""
    lines: list[str] = []
    for v in verdicts:
        lines.append(f"{v.outcome.value.upper():5}  {v.path}  [{v.format.value}, framework "
                     f"{v.framework}, {v.size} bytes, sha256 {v.sha256[:16]}…]")
        lines.extend(f"       {issue}" for issue in v.issues)
        lines.append("       scanners: " + "; ".join(
            f"{s.name} {s.version or '-'} {s.status.value}" for s in v.scanners))
    if skipped:
        lines.append(f"skipped {len(skipped)} documentation file(s): {', '.join(skipped)}")
    blocked = sum(v.blocked for v in verdicts)
    lines.append(f"{len(verdicts)} file(s): {len(verdicts) - blocked} passed, {blocked} blocked")
    return "\n".join(lines) + "\n"


@app.command("scan")
def scan_command(
    paths: Annotated[list[Path], typer.Argument(help="Model files or folders (recursive).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    framework: Annotated[
        str, typer.Option("--framework",
                          help="Allow-list for pickles: pytorch, numpy, joblib, pickle "
                               "(default: from each file's format).")] = "",
    allow_global: Annotated[
        list[str] | None,
        typer.Option("--allow-global", metavar="MODULE:NAME",
                     help="Admit one more reviewed import (repeatable).")] = None,
    require_scanner: Annotated[
        list[str] | None,
        typer.Option("--require-scanner", metavar="NAME",
                     help="Block when this public scanner is not installed (repeatable; "
                          "picklescan and fickling are always required).")] = None,
) -> None:
    """Scan model files statically (nothing is loaded or executed). A file passes only when
    every part of it was understood and found safe.
    In folders, documentation (README.md, inventory.csv … that is plain text in no model
    format) is listed as skipped; a file named on the command line is always judged.

    Exit codes: 0 every file passed; 1 at least one file is blocked; 2 usage error or a path
    that cannot be read.
    """
    policy = ScanPolicy(
        framework=framework.lower(),
        extra_globals=_pairs(allow_global or []),
        required_scanners=DEFAULT_REQUIRED | frozenset(s.lower() for s in require_scanner or []),
    )
    policy.validate()
    verdicts: list[ScanVerdict] = []
    skipped: list[str] = []
    for path, walked in _files(paths):
        verdict = scan_model_file(path, display=str(path), policy=policy)
        if walked and is_document(path, verdict):
            skipped.append(str(path))
        else:
            verdicts.append(verdict)
    typer.echo(render_json(verdicts, skipped) if as_json else render_text(verdicts, skipped),
               nl=False)
    if any(v.blocked for v in verdicts):
        raise typer.Exit(EXIT_BLOCKED)
