"""The capabilities caresec ships (see :mod:`caresec.extension`), one module each.

Each module exposes a zero-argument factory returning a
:class:`~caresec.extension.Capability`, listed in
:data:`caresec.extension.BUILTIN_CAPABILITIES`. A capability collects and analyzes through its
own subsystem (``caresec.analyze.modelscan``, ``caresec.phi`` …) and renders its report section
with :func:`caresec.report.render_fragment`.
"""
