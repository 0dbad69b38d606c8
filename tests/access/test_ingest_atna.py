"""DICOM PS3.15 / IHE ATNA audit messages on the dcm4chee-arc samples in
../shared/data/access/atna-dicom-audit-dcm4chee (values read from the files), plain and wrapped
in RFC 5424 syslog; malformed messages named by line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from caresec.access.ingest import ingest_events
from caresec.access.ingest.atna import read_atna_events
from caresec.access.ingest.problems import ProblemLog
from caresec.model.problems import ProblemSeverity

ATNA = ("access", "atna-dicom-audit-dcm4chee")

# file → (EventDateTime in UTC, requestor UserID, action, patient (CX id), workstation)
EXPECTED = {
    "patient-record.xml": (datetime(2017, 8, 8, 12, 57, 8, 813000, tzinfo=UTC),
                           "MESA_OF|XYZ_RADIOLOGY", "create", "PID1", "localhost"),
    "procedure-record.xml": (datetime(2017, 8, 8, 12, 57, 8, 989000, tzinfo=UTC),
                             "MESA_OF|XYZ_RADIOLOGY", "create", "PID1", "localhost"),
    "query.xml": (datetime(2017, 7, 27, 7, 12, 21, 331000, tzinfo=UTC), "127.0.0.1", "query",
                  "", "127.0.0.1"),
    "data-export.xml": (datetime(2017, 3, 20, 13, 17, 40, 947000, tzinfo=UTC), "dcm4chee-arc",
                        "export", "IDS-AD001-a", "localhost"),
    "dicom-study-deleted.xml": (datetime(2017, 7, 17, 10, 17, 44, 888000, tzinfo=UTC),
                                "127.0.0.1", "delete", "P5", "127.0.0.1"),
    "begin-transferring-dicom-instances.xml": (datetime(2016, 6, 21, 8, 22, 0, 634000, tzinfo=UTC),
                                               "GETSCU", "export", "P5", "127.0.0.1"),
    "dicom-instances-transferred.xml": (datetime(2017, 7, 10, 10, 22, 29, 457000, tzinfo=UTC),
                                        "GETSCU", "export", "P5", "127.0.0.1"),
}
NOT_ACCESS = ("application-activity.xml", "audit-log-used.xml", "security-alert.xml",
              "user-authentication.xml")
# dcm4chee writes CX identifiers with a bare '&' (not well-formed XML): where the parser stops
BARE_AMPERSAND = {"patient-record.xml": "line 33, column 72",
                  "procedure-record.xml": "line 47, column 72",
                  "data-export.xml": "line 35, column 73"}


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dcm4chee_samples(shared_data: Path, name: str) -> None:
    log = ProblemLog()
    [event], _ = read_atna_events(shared_data.joinpath(*ATNA, name), name,
                                        timezone="UTC", log=log)
    got = (event.time, event.user_id, event.action.value, event.patient_id, event.workstation)
    assert got == EXPECTED[name]
    assert event.event_id.startswith("atna-") and len(event.event_id) == 25
    problems = log.problems()
    if name in BARE_AMPERSAND:
        [problem] = problems
        assert problem.severity is ProblemSeverity.WARNING
        assert BARE_AMPERSAND[name] in problem.message
    else:
        assert problems == []


@pytest.mark.realdata
@pytest.mark.parametrize("name", NOT_ACCESS)
def test_samples_that_are_not_record_accesses(shared_data: Path, name: str) -> None:
    events, skipped = read_atna_events(shared_data.joinpath(*ATNA, name), name, timezone="UTC",
                                       log=ProblemLog())
    assert (events, skipped) == ([], 1)


@pytest.mark.realdata
def test_syslog_wrapped_messages(shared_data: Path, tmp_path: Path) -> None:
    lines = []
    for name in ("query.xml", "dicom-study-deleted.xml", "user-authentication.xml"):
        xml = shared_data.joinpath(*ATNA, name).read_text().replace("\n", " ")
        lines.append(f"<85>1 2017-07-27T09:12:21.331+02:00 pacs dcm4chee-arc 1234 IHE+RFC-3881 - "
                     f"\ufeff{xml}")
    lines.append("<85>1 2017-07-27T09:13:00Z pacs dcm4chee-arc 1234 IHE+RFC-3881 - "
                 "<AuditMessage><EventIdentification EventActionCode=")  # cut in the middle
    path = tmp_path / "audit.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_events([path], tmp_path / "out")
    assert result.events == 2 and result.skipped == 1
    assert dict(result.formats) == {str(path): "syslog-atna"}
    [problem] = result.problems
    assert problem.place == "line 4" and "not a well-formed XML audit message" in problem.message


def test_truncated_message_is_an_error_naming_the_file(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "access" / "atna.truncated.xml"
    result = ingest_events([source], tmp_path)
    assert result.events == 0
    [problem] = result.problems
    assert problem.file == str(source) and problem.severity is ProblemSeverity.ERROR
