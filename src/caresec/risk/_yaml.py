"""Reading the organization's small YAML decision files with line numbers for every problem.

YAML is parsed with PyYAML's safe loader only (no tags that build objects), with dates left as
text so that pydantic validates them (an impossible date such as ``2027-02-30`` becomes a
problem at its line rather than an exception). The node tree gives the line of each list item
and mapping key, so a problem names ``file (line N)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from caresec.model.problems import InputProblem, ProblemSeverity


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML value with its node (for line numbers)."""

    value: Any
    node: yaml.Node


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without the implicit timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def line(node: yaml.Node) -> int:
    """1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


def problem(
    file: str, at: int | None, message: str, collector: str, *, warning: bool = False
) -> InputProblem:
    """An :class:`InputProblem` at ``line at`` (whole file when None)."""
    return InputProblem(
        file=file,
        place=f"line {at}" if at is not None else "",
        message=message,
        severity=ProblemSeverity.WARNING if warning else ProblemSeverity.ERROR,
        collector=collector,
    )


def load(text: str, file: str, collector: str) -> tuple[Located | None, InputProblem | None]:
    """Parse one YAML document.

    Returns:
        ``(located, None)``; ``(None, None)`` for an empty document; ``(None, problem)`` when
        the text is not YAML (the problem names the line).
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = int(mark.line) + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, problem(file, at, f"not valid YAML: {reason}", collector)
    if node is None:
        return None, None
    return Located(value, node), None


def key_node(node: yaml.Node, key: str) -> yaml.Node | None:
    """The value node of ``key`` in a mapping node (None when absent or not a mapping)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]
    return None


def key_line(node: yaml.Node, key: str) -> int:
    """Line of ``key`` in a mapping node, else the node's own line."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return line(k)
    return line(node)


def validation_problems(
    exc: ValidationError, node: yaml.Node, file: str, collector: str, subject: str
) -> list[InputProblem]:
    """One problem per pydantic error, at the line of the offending key when known."""
    found: list[InputProblem] = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        field = loc[0] if loc else ""
        at = key_line(node, field) if field else line(node)
        where = f"{subject}, {field}" if field else subject
        message = str(error["msg"]).removeprefix("Value error, ")
        found.append(problem(file, at, f"{where}: {message}", collector))
    return found
