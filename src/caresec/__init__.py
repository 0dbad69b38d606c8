"""caresec: evidence-based security audit for healthcare organizations.

The pipeline is ``collect`` (parse inputs into :mod:`caresec.model` records) →
``analyze`` (findings) → ``risk`` (likelihood, impact, register) → ``report`` (outputs).
Nothing runs at import time.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("caresec")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
