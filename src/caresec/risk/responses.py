"""Risk responses: the organization's decisions in ``ORG/risk-responses.yaml``, applied to the
register.

File format (YAML, documented in docs/reports.md)::

    responses:
      - risk: RISK-WS-RAD-LEGACY-TE-VULN-EXPLOIT-EOS-WS-RAD-LEGACY   # one register entry, or
        # asset: WS-RAD-LEGACY                                      # every entry of an asset
        # threat_event: TE-VULN-EXPLOIT                             # and threat event
        response: accept            # mitigate | accept | transfer | avoid
        justification: Scanner console cannot be upgraded until the CT is replaced in 2027.
        owner: Chief Information Security Officer
        expires: 2027-06-30        # required for accept: the last day the acceptance applies
        decided_on: 2026-09-15     # optional

Rules: ``accept`` needs justification, owner and expiry; ``transfer`` needs justification and
owner. A decision whose expiry date is before the audit date has lapsed: the risk reverts to
open and the register flags it; accepted risks stay in the register, marked. A ``risk``
selector beats an ``asset`` + ``threat_event`` one; between two of the same kind the later in
the file wins (with a warning). Problems name the file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from caresec.model.plan import AppliedResponse, RegisterEntry, ResponseKind, RiskResponse
from caresec.model.problems import InputProblem
from caresec.redact import redact_free_text, redaction_problem
from caresec.risk import _yaml

RESPONSES_FILE = "risk-responses.yaml"
COLLECTOR = "risk-responses"


class ResponseRecord(BaseModel):
    """One item of ``responses:`` as written (validated with pydantic)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    risk: str | None = None
    asset: str | None = None
    threat_event: str | None = None
    response: ResponseKind
    justification: str = ""
    owner: str = ""
    expires: date | None = None
    decided_on: date | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        by_risk = bool(self.risk and self.risk.strip())
        by_pair = bool(self.asset and self.asset.strip() and self.threat_event
                       and self.threat_event.strip())
        if by_risk and (self.asset or self.threat_event):
            raise ValueError("name either risk, or asset and threat_event, not both")
        if not by_risk and not by_pair:
            raise ValueError("name the risk, or both asset and threat_event")
        missing: list[str] = []
        if self.response in (ResponseKind.ACCEPT, ResponseKind.TRANSFER):
            missing += [f for f in ("justification", "owner") if not getattr(self, f).strip()]
        if self.response is ResponseKind.ACCEPT and self.expires is None:
            missing.append("expires")
        if missing:
            raise ValueError(f"response {self.response} needs {', '.join(missing)}")
        return self


def parse_risk_responses(
    text: str, file: str = RESPONSES_FILE, *, reveal_phi: bool = False
) -> tuple[tuple[RiskResponse, ...], tuple[InputProblem, ...]]:
    """Read ``risk-responses.yaml`` text.

    Args:
        text: the file's content (UTF-8 decoded).
        file: the name shown in problems.
        reveal_phi: keep patient identifiers in ``justification`` and ``owner`` (by default
            they are redacted, :func:`caresec.redact.redact_free_text`, with a warning).

    Returns:
        ``(responses, problems)``: every valid decision in file order, and one problem (error)
        per invalid item naming its line; valid items are kept when others fail; one warning
        per redacted value, naming its line and the identifier types.
    """
    located, bad = _yaml.load(text, file, COLLECTOR)
    if bad is not None:
        return (), (bad,)
    if located is None:
        return (), ()
    value, node = located.value, located.node
    if not isinstance(value, dict) or set(value) - {"responses"}:
        at = _yaml.line(node)
        return (), (_yaml.problem(file, at, "expected a mapping with one key, responses",
                                  COLLECTOR),)
    items = value.get("responses") or []
    items_node = _yaml.key_node(node, "responses")
    if not isinstance(items, list) or items_node is None:
        at = _yaml.key_line(node, "responses")
        return (), (_yaml.problem(file, at, "responses must be a list", COLLECTOR),)
    responses: list[RiskResponse] = []
    problems: list[InputProblem] = []
    for item, item_node in zip(items, items_node.value, strict=True):
        at = _yaml.line(item_node)
        if not isinstance(item, dict):
            problems.append(_yaml.problem(file, at, "each response must be a mapping", COLLECTOR))
            continue
        try:
            record = ResponseRecord.model_validate(item)
        except ValidationError as exc:
            problems += _yaml.validation_problems(exc, item_node, file, COLLECTOR, "response")
            continue
        free = {"justification": record.justification.strip(), "owner": record.owner.strip()}
        if not reveal_phi:
            for name, value in free.items():
                free[name], types = redact_free_text(value, field=name)
                if types:
                    problems.append(redaction_problem(
                        file, _yaml.key_line(item_node, name),
                        f"the {name} of the response at line {at}", types, COLLECTOR))
        responses.append(
            RiskResponse(
                response=record.response,
                justification=free["justification"],
                owner=free["owner"],
                expires=record.expires,
                decided_on=record.decided_on,
                risk_id=(record.risk or "").strip(),
                asset_id=(record.asset or "").strip(),
                threat_event_id=(record.threat_event or "").strip(),
                source=f"{file}:{at}",
            )
        )
    return tuple(responses), tuple(problems)


def selects(decision: RiskResponse, entry: RegisterEntry) -> bool:
    """Whether ``decision`` applies to ``entry``."""
    if decision.risk_id:
        return decision.risk_id == entry.risk_id
    return (
        decision.asset_id == entry.risk.asset_id
        and decision.threat_event_id == entry.risk.threat_event_id
    )


def _note(decision: RiskResponse, expired: bool) -> str:
    kind = decision.response
    who = f" by {decision.owner}" if decision.owner else ""
    if expired and decision.expires is not None:
        return f"{kind} decision{who} expired on {decision.expires.isoformat()}: reverted to open"
    until = f" until {decision.expires.isoformat()}" if decision.expires else ""
    why = f": {decision.justification}" if decision.justification else ""
    return f"{kind}{who}{until}{why}"


def apply_responses(
    entries: Sequence[RegisterEntry], responses: Sequence[RiskResponse], today: date
) -> tuple[tuple[RegisterEntry, ...], tuple[InputProblem, ...]]:
    """Attach each entry's response as it stands on ``today``.

    Returns:
        ``(entries, problems)``: the entries in the same order, and warnings for decisions
        that select no register entry or that another decision overrides.
    """
    problems: list[InputProblem] = []
    used: set[int] = set()
    out: list[RegisterEntry] = []
    for entry in entries:
        chosen: int | None = None
        for index, decision in enumerate(responses):
            if not selects(decision, entry):
                continue
            used.add(index)
            if chosen is None or bool(decision.risk_id) >= bool(responses[chosen].risk_id):
                chosen = index
        if chosen is None:
            out.append(entry)
            continue
        decision = responses[chosen]
        expired = decision.expires is not None and today > decision.expires
        applied = AppliedResponse(decision=decision, expired=expired, note=_note(decision, expired))
        out.append(replace(entry, response=applied))
    overridden = _overridden(out, responses)
    for index, decision in enumerate(responses):
        file, _, at = decision.source.rpartition(":")
        place = int(at) if at.isdigit() else None
        if index not in used:
            target = decision.risk_id or f"asset {decision.asset_id}, {decision.threat_event_id}"
            problems.append(_yaml.problem(
                file or RESPONSES_FILE, place,
                f"response selects no risk in this audit ({target})", COLLECTOR, warning=True))
        elif index in overridden:
            problems.append(_yaml.problem(
                file or RESPONSES_FILE, place,
                "response is overridden for every risk it selects by a later or more specific "
                "one", COLLECTOR, warning=True))
    return tuple(out), tuple(problems)


def _overridden(entries: Sequence[RegisterEntry], responses: Sequence[RiskResponse]) -> set[int]:
    applied = {id(e.response.decision) for e in entries if e.response is not None}
    return {i for i, d in enumerate(responses) if id(d) not in applied}
