"""CISA KEV catalog reading.

Real data: shared_data/vuln/kev/known_exploited_vulnerabilities.json (github.com/cisagov/kev-data
at eacf03ec, catalogVersion 2025.08.25, CC0-1.0), 1,404 entries per its ``count``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from caresec.collect.kev import read_kev
from caresec.errors import InputError

KEV = "vuln/kev/known_exploited_vulnerabilities.json"


@pytest.mark.realdata
def test_reads_every_entry_of_the_real_catalog(shared_data: Path) -> None:
    entries, problems = read_kev(shared_data / KEV)
    assert problems == []
    assert len(entries) == json.loads((shared_data / KEV).read_text())["count"] == 1404
    # The Log4Shell entry as the file states it.
    log4shell = entries["CVE-2021-44228"]
    assert log4shell.date_added == date(2021, 12, 10)
    assert log4shell.due_date == date(2021, 12, 24)
    assert log4shell.ransomware is True
    assert log4shell.name == "Apache Log4j2 Remote Code Execution Vulnerability"
    # The first entry of the file: Git CVE-2025-48384, ransomware use "Unknown".
    git = entries["CVE-2025-48384"]
    assert (git.date_added, git.ransomware) == (date(2025, 8, 25), False)


def test_bad_entries_are_skipped_with_their_pointer(fixtures: Path) -> None:
    entries, problems = read_kev(fixtures / "feeds" / "kev.bad-entries.json", display="kev.json")
    assert list(entries) == ["CVE-2021-44228"]
    assert [(p.file, p.place) for p in problems] == [
        ("kev.json", "/vulnerabilities/1/cveID"),
        ("kev.json", "/vulnerabilities/2/dateAdded"),
    ]
    assert "'log4shell' is not a CVE id" in problems[0].message


@pytest.mark.parametrize(
    ("content", "place", "message"),
    [
        (b'{"vulnerabilities": [', "line 1, column 22", "not valid JSON"),
        (b'{"title": "no list"}', "/vulnerabilities", "not a KEV catalog"),
        (b'\xff\xfe{}', "byte 0", "UTF-16"),
    ],
)
def test_unreadable_catalogs_raise_input_error(
    tmp_path: Path, content: bytes, place: str, message: str
) -> None:
    path = tmp_path / "kev.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_kev(path, display="feeds/kev.json")
    assert caught.value.path == "feeds/kev.json"
    assert caught.value.place == place
    assert message in caught.value.detail
