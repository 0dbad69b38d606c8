"""The ``caresec`` command line (Typer).

A thin layer: parse arguments, call one core function, render, map to an exit code.

Exit codes: 0 done; 1 a ``--fail-on`` threshold was reached (or, for scanners, something was
blocked); 2 usage error or unreadable input.
"""

from __future__ import annotations

from caresec.cli.app import app, main

__all__ = ["app", "main"]
