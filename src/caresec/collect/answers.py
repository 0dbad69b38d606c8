"""The questionnaire: read an organization's ``answers.yaml`` and write a commented template.

Format (documented in docs/questionnaire.md)::

    answers:
      Q-308-a1-iiB-02:
        answer: yes            # yes | partial | no | na
        note: "Policy PAT-02: 15 days for critical patches."
        evidence: ["Patch policy PAT-02 v3", "Patch compliance report 2026-10"]
        answered_by: "Security Officer"
        answered_on: 2026-10-02

Question ids come from ``catalogs/question-bank.yaml``. ``answer`` left empty means unanswered.
The file is YAML 1.1 read with PyYAML's safe composer only (no object construction from tags),
so every value keeps its line number; ``yes``/``no`` are read as the words written, not as
booleans. Problems name the file, the line and the question id; a bad answer is skipped and
every other answer is kept.
"""

from __future__ import annotations

import difflib
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from caresec.catalogs.models import HipaaElement, NprmRequirement, Question, QuestionBank
from caresec.catalogs.registry import (
    load_cpgs,
    load_hipaa_security_rule,
    load_nprm,
    load_question_bank,
)
from caresec.collect._text import display_path
from caresec.collect.inventory import INVENTORY_SUFFIXES
from caresec.errors import ConfigError
from caresec.model import Answer, AnswerValue, InputProblem, OrgConfig, ProblemSeverity
from caresec.redact import redact_free_text, redaction_problem, reveal_phi

ANSWERS_FILE = "answers.yaml"
"""The questionnaire file, relative to the organization folder."""

MAX_BYTES = 2_000_000
"""Largest answers file read (a full questionnaire with long notes is well under 200 kB)."""

COLLECTOR = "answers"
FIELDS = ("answer", "note", "evidence", "answered_by", "answered_on")
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"


def _problem(
    display: str, line: int, message: str, severity: ProblemSeverity = ProblemSeverity.ERROR
) -> InputProblem:
    return InputProblem(
        file=display, place=f"line {line}" if line else "", message=message,
        severity=severity, collector=COLLECTOR,
    )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


def _text(node: yaml.Node) -> str | None:
    """A scalar's text as written (``yes`` stays ``yes``); ``None`` for collections."""
    if isinstance(node, yaml.ScalarNode) and not _is_null(node):
        return str(node.value)
    return None


class _Reader:
    """Collects answers and problems for one file."""

    def __init__(self, display: str, bank: QuestionBank, *, reveal: bool = False) -> None:
        self.display = display
        self.reveal = reveal
        self.questions = {q.id: q for q in bank.questions}
        self.answers: list[Answer] = []
        self.problems: list[InputProblem] = []

    def error(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append(_problem(self.display, _line(node) if node else 0, message))

    def warn(self, node: yaml.Node, message: str) -> None:
        self.problems.append(
            _problem(self.display, _line(node), message, ProblemSeverity.WARNING)
        )

    def document(self, root: yaml.Node | None) -> None:
        if root is None or _is_null(root):
            self.problems.append(_problem(
                self.display, 0, "the file is empty; no answers were read",
                ProblemSeverity.WARNING,
            ))
            return
        if not isinstance(root, yaml.MappingNode):
            self.error(root, "the file must be a mapping with an 'answers:' key")
            return
        found = False
        for key, value in root.value:
            name = _text(key)
            if name != "answers":
                self.warn(key, f"unknown key {name!r} ignored; answers go under 'answers:'")
                continue
            if found:
                self.error(key, "'answers:' given twice; the second block is ignored")
                continue
            found = True
            if _is_null(value):
                continue
            if not isinstance(value, yaml.MappingNode):
                self.error(value, "'answers:' must be a mapping of question id to answer")
                continue
            self.entries(value)
        if not found:
            self.error(root, "no 'answers:' key; no answers were read")

    def entries(self, mapping: yaml.MappingNode) -> None:
        seen: dict[str, int] = {}
        for key, value in mapping.value:
            qid = _text(key)
            if qid is None:
                self.error(key, "a question id must be a plain text key such as Q-308-a1-iiA-01")
                continue
            question = self.questions.get(qid)
            if question is None:
                near = difflib.get_close_matches(qid, self.questions, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                self.error(key, f"question {qid}: unknown question id{hint}; the ids are listed "
                           "by 'caresec catalog show question-bank'; this answer is ignored")
                continue
            if qid in seen:
                self.error(key, f"question {qid}: answered twice (first at line {seen[qid]}); "
                           "this answer is ignored")
                continue
            seen[qid] = _line(key)
            if _is_null(value):
                continue
            if not isinstance(value, yaml.MappingNode):
                self.error(value, f"question {qid}: must be a mapping with 'answer:' "
                           "(and optionally note, evidence, answered_by, answered_on)")
                continue
            answer = self.entry(question, key, value)
            if answer is not None:
                self.answers.append(answer)

    def entry(self, q: Question, key: yaml.Node, node: yaml.MappingNode) -> Answer | None:
        fields: dict[str, yaml.Node] = {}
        for k, v in node.value:
            name = _text(k)
            if name not in FIELDS:
                self.warn(k, f"question {q.id}: unknown field {name!r} ignored; fields are "
                          f"{', '.join(FIELDS)}")
            elif name in fields:
                self.error(k, f"question {q.id}: field {name!r} given twice; this answer is "
                           "ignored")
                return None
            else:
                fields[name] = v
        note = self.scalar(q, fields.get("note"), "note")
        if note:
            note = self.free_text(q, fields["note"], "note", note)
        value_node = fields.get("answer")
        if value_node is None or _is_null(value_node):
            if note or ("evidence" in fields and not _empty(fields["evidence"])):
                self.warn(key, f"question {q.id}: a note or evidence is given but 'answer:' is "
                          "empty; the question counts as unanswered")
            return None
        value = self.value(q, value_node)
        if value is None:
            return None
        if value is AnswerValue.NOT_APPLICABLE and not note:
            self.error(value_node, f"question {q.id}: 'na' needs a note saying why the "
                       "question does not apply (45 CFR 164.306(d)(3)(ii)(B)(1) and "
                       "164.316(b)(1) ask for such decisions to be documented); this answer is "
                       "ignored")
            return None
        return Answer(
            question_id=q.id,
            value=value,
            note=note,
            evidence_refs=self.evidence(q, fields.get("evidence")),
            answered_by=self.role(q, fields.get("answered_by")),
            answered_on=self.day(q, fields.get("answered_on")),
            source=f"{self.display}:{_line(key)}",
        )

    def value(self, q: Question, node: yaml.Node) -> AnswerValue | None:
        allowed = [a.value for a in q.answers]
        text = _text(node)
        word = text.strip().lower() if text is not None else None
        if word is None or word not in {v.value for v in AnswerValue}:
            shown = repr(text) if text is not None else "a list or mapping"
            self.error(node, f"question {q.id}: answer {shown} is not one of "
                       f"{', '.join(allowed)}; this answer is ignored")
            return None
        if word not in allowed:
            self.error(node, f"question {q.id}: answer {word!r} is not allowed for this "
                       f"question (allowed: {', '.join(allowed)}); this answer is ignored")
            return None
        return AnswerValue(word)

    def scalar(self, q: Question, node: yaml.Node | None, name: str) -> str:
        if node is None or _is_null(node):
            return ""
        text = _text(node)
        if text is None:
            self.warn(node, f"question {q.id}: {name} must be text; ignored")
            return ""
        return text.strip()

    def free_text(self, q: Question, node: yaml.Node, name: str, text: str) -> str:
        """``text`` with patient identifiers redacted (:mod:`caresec.redact`), warning once."""
        if self.reveal:
            return text
        clean, types = redact_free_text(text, field=name)
        if types:
            self.problems.append(redaction_problem(
                self.display, _line(node), f"the {name} of {q.id}", types, COLLECTOR))
        return clean

    def role(self, q: Question, node: yaml.Node | None) -> str:
        text = self.scalar(q, node, "answered_by")
        return self.free_text(q, node, "answered_by", text) if text and node else text

    def evidence(self, q: Question, node: yaml.Node | None) -> tuple[str, ...]:
        if node is None or _is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.warn(node, f"question {q.id}: evidence must be a list such as "
                      '["Risk analysis report 2026-03"]; ignored')
            return ()
        refs: list[str] = []
        for item in node.value:
            text = _text(item)
            if text is None:
                self.warn(item, f"question {q.id}: each evidence item must be text; one "
                          "item ignored")
            elif text.strip():
                refs.append(self.free_text(q, item, "evidence", text.strip()))
        return tuple(refs)

    def day(self, q: Question, node: yaml.Node | None) -> str:
        text = self.scalar(q, node, "answered_on")
        if not text:
            return ""
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            assert node is not None
            self.warn(node, f"question {q.id}: answered_on {text!r} is not a date "
                      "(YYYY-MM-DD); ignored")
            return ""


def _empty(node: yaml.Node) -> bool:
    return _is_null(node) or (isinstance(node, yaml.SequenceNode) and not node.value) or (
        isinstance(node, yaml.ScalarNode) and not str(node.value).strip()
    )


def read_answers(
    path: Path, *, display: str, bank: QuestionBank | None = None, reveal_phi: bool = False
) -> tuple[list[Answer], list[InputProblem]]:
    """Read one ``answers.yaml``.

    Args:
        path: the file. A missing file is not an error: it gives no answers and no problems
            (control status then comes from evidence alone, or is unknown).
        display: the file's name as the user knows it (used in problems and ``Answer.source``).
        bank: the question bank to validate against (default: the shipped one).
        reveal_phi: keep patient identifiers in notes, evidence names and ``answered_by``
            (by default they are redacted, :func:`caresec.redact.redact_free_text`, with a
            warning naming the line and the identifier types).

    Returns:
        ``(answers, problems)``: answers in file order, ``source`` ``display:LINE``; problems
        with ``place`` ``line N``. Errors (the answer is skipped): unknown question id, an
        answer that is not yes / partial / no / na or not allowed for the question, ``na``
        without a note, a question answered twice. Warnings (the value is dropped, the answer
        kept): unknown fields, a note or date of the wrong type, evidence that is not a list,
        a redacted identifier.
        A file that is not UTF-8 or not YAML is one error and gives no answers.
    """
    if not path.is_file():
        return [], []
    if path.stat().st_size > MAX_BYTES:
        return [], [_problem(display, 0, f"the file is larger than {MAX_BYTES:,} bytes; "
                             "no answers were read")]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [_problem(display, line, f"not UTF-8 (byte {exc.start}); save the file "
                             "as UTF-8; no answers were read")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        reason = exc.problem or exc.context or "invalid YAML"
        return [], [_problem(display, line, f"not valid YAML: {reason}; no answers were read")]
    except yaml.YAMLError as exc:
        return [], [_problem(display, 0, f"not valid YAML: {exc}; no answers were read")]
    reader = _Reader(display, bank or load_question_bank(), reveal=reveal_phi)
    reader.document(root)
    return reader.answers, reader.problems


def collect_answers(org: OrgConfig) -> tuple[list[Answer], list[InputProblem]]:
    """Read ``ORG/answers.yaml`` (see :func:`read_answers`; missing file: no answers),
    redacting patient identifiers unless ``[settings] reveal_phi`` is true."""
    path = org.root / ANSWERS_FILE
    reveal, _ = reveal_phi(org.settings)  # the pipeline reports the setting's problems
    return read_answers(path, display=display_path(path, org.root), reveal_phi=reveal)


def inventory_file_dates(org: OrgConfig) -> dict[str, date]:
    """Last-modification date (UTC) of every inventory file, keyed as problems display it
    (``inventory/assets.csv``), for the evidence rule on inventory currency. The same files
    :func:`caresec.collect.inventory.collect_inventory` reads; none when the folder is missing.
    """
    folder = org.inventory_dir
    if not folder.is_dir():
        return {}
    return {
        display_path(p, org.root): datetime.fromtimestamp(p.stat().st_mtime, UTC).date()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in INVENTORY_SUFFIXES
        and not p.name.startswith((".", "~$"))
    }


# --------------------------------------------------------------------------- template

_HEADER = """\
# answers.yaml - the organization's answers to caresec's risk analysis questionnaire.
#
# caresec combines these answers with the evidence an audit collects (inventory, SBOMs,
# vulnerabilities) to judge each HIPAA Security Rule standard and implementation specification.
# Where the evidence contradicts an answer, the report says so. Reference: docs/questionnaire.md.
#
# For each question fill in:
#   answer:       yes | partial | no | na     (leave empty while unanswered)
#                 yes     - in place everywhere it should be, and you can show it
#                 partial - in place for some systems, sites or people, or not documented
#                 no      - not in place
#                 na      - does not apply to this organization (only where the question allows
#                           it, and only with a note saying why)
#   note:         free text: what is in place, exceptions, figures (e.g. measured patch times)
#   evidence:     names of documents or records that back the answer, as a list:
#                 ["Risk analysis report 2026-03", "Patch compliance report 2026-Q3"]
#   answered_by:  the respondent's role (e.g. "Security Officer"), not necessarily a name
#   answered_on:  the date of the answer, YYYY-MM-DD
#
# Never write patient names, record numbers or other identifiers in notes or evidence.
# Questions come from caresec's question bank ({version}); {count} questions follow, grouped by
# HIPAA Security Rule section. Proposed NPRM figures (90 FR 898) are not in force.

answers:
"""

_SECTIONS = {
    "164.308": "Administrative safeguards (45 CFR 164.308)",
    "164.310": "Physical safeguards (45 CFR 164.310)",
    "164.312": "Technical safeguards (45 CFR 164.312)",
    "164.314": "Organizational requirements (45 CFR 164.314)",
    "164.316": "Policies, procedures and documentation (45 CFR 164.316)",
}
_WIDTH = 98


def _comment(label: str, text: str) -> list[str]:
    lines = textwrap.wrap(
        f"{label}{text}", width=_WIDTH - 4, subsequent_indent=" " * len(label) if label else ""
    )
    return [f"  # {line}" for line in lines]


def _nprm_text(r: NprmRequirement, q: Question) -> str:
    """``NPRM-PATCH-CRITICAL Patch ... : 15 days (applying a patch for ...)``."""
    text = f"{r.id} {r.title}"
    for p in r.parameters:
        if p.name == q.nprm_parameter and p.unit != "boolean":
            text += f": {p.value} {p.unit} ({p.applies_to})"
    return text


def _question_block(
    q: Question, elements: dict[str, HipaaElement], cpgs: dict[str, str],
    nprm: dict[str, NprmRequirement],
) -> list[str]:
    controls = ", ".join(
        f"{c} {elements[c].title} ({elements[c].status})" for c in q.control_ids
    )
    lines = ["  #", *_comment("", f"{q.id}: {q.text}")]
    lines += _comment("Help: ", q.help)
    lines += _comment("Controls: ", controls)
    if q.cpg_ids:
        lines += _comment("HPH CPG: ", ", ".join(f"{c} {cpgs[c]}" for c in q.cpg_ids))
    if q.nprm_requirement:
        lines += _comment("NPRM (proposed): ", _nprm_text(nprm[q.nprm_requirement], q))
    lines += _comment("Evidence for yes: ", "; ".join(q.evidence))
    allowed = " | ".join(a.value for a in q.answers)
    lines += [
        f"  {q.id}:",
        f"    answer:              # {allowed}",
        '    note: ""',
        "    evidence: []",
        '    answered_by: ""',
        "    answered_on:         # YYYY-MM-DD",
    ]
    return lines


def answers_template() -> str:
    """The text of a new ``answers.yaml``: every question of the bank, commented (question,
    help, controls with their required/addressable status, CPGs, NPRM figure, evidence that
    backs a yes) with ``answer:`` empty. It reads back with no answers and no problems.

    Raises:
        CatalogError: a shipped catalog is invalid.
    """
    bank = load_question_bank()
    elements = load_hipaa_security_rule().index()
    cpgs = {g.id: g.title for g in load_cpgs().goals}
    nprm = {r.id: r for r in load_nprm().requirements}
    out = [_HEADER.format(version=bank.version, count=len(bank.questions))]
    section = ""
    for q in bank.questions:
        here = q.control_ids[0][:7]
        if here != section:
            section = here
            out.append(f"\n  # {'=' * (_WIDTH - 4)}\n  # {_SECTIONS[section]}\n"
                       f"  # {'=' * (_WIDTH - 4)}\n")
        out.append("\n".join(_question_block(q, elements, cpgs, nprm)) + "\n")
    return "".join(out)


def write_answers_template(org_root: Path) -> Path:
    """Write ``ORG_ROOT/answers.yaml`` from :func:`answers_template`.

    Returns:
        The path written.

    Raises:
        ConfigError: the folder does not exist, or ``answers.yaml`` already exists (never
            overwritten).
    """
    if not org_root.is_dir():
        raise ConfigError(f"{org_root} is not a folder.",
                          hint="Create the organization folder first (caresec init DIR).")
    path = org_root / ANSWERS_FILE
    if path.exists():
        raise ConfigError(f"{path} already exists; it was not overwritten.",
                          hint="Edit it, or move it away to start a new questionnaire.")
    path.write_text(answers_template(), encoding="utf-8")
    return path
