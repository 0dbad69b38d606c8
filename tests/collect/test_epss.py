"""FIRST EPSS CSV reading.

Fixture ``feeds/epss.sample.csv`` is hand-written in the layout of FIRST's daily file
(``epss_scores-YYYY-MM-DD.csv.gz``: a ``#model_version:…,score_date:…`` line, the header
``cve,epss,percentile``, one row per CVE); its rows are test values, three of them broken.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from caresec.collect.epss import read_epss
from caresec.errors import InputError


@pytest.mark.parametrize("compressed", [False, True])
def test_reads_scores_and_names_bad_rows(fixtures: Path, tmp_path: Path, compressed: bool) -> None:
    source = fixtures / "feeds" / "epss.sample.csv"
    path = source
    if compressed:
        path = tmp_path / "epss.csv.gz"
        path.write_bytes(gzip.compress(source.read_bytes()))
    scores, problems = read_epss(path, display="epss")
    assert sorted(scores) == ["CVE-2019-11236", "CVE-2021-44228"]
    assert (scores["CVE-2021-44228"].epss, scores["CVE-2021-44228"].percentile) == (
        0.94358, 0.99957)
    assert [(p.place, p.collector) for p in problems] == [
        ("line 5", "epss"), ("line 6", "epss"), ("line 7", "epss")]
    assert "'not-a-cve' is not a CVE id" in problems[0].message
    assert "[0, 1]" in problems[1].message
    assert "2 columns" in problems[2].message


def test_header_without_model_line(tmp_path: Path) -> None:
    path = tmp_path / "epss.csv"
    path.write_text("cve,epss,percentile\nCVE-2024-3094,0.8,0.99\n", encoding="utf-8")
    scores, problems = read_epss(path)
    assert problems == []
    assert scores["CVE-2024-3094"].epss == 0.8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"cve,score\nCVE-2024-1,0.1\n", "lacks cve, epss and percentile"),
        (b"#model_version:v1\n", "no 'cve,epss,percentile' header"),
        (b"\x1f\x8bnot gzip at all", "not a readable gzip file"),
    ],
)
def test_unusable_files_raise_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "epss.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_epss(path, display="feeds/epss.csv")
    assert message in str(caught.value)
    assert caught.value.path == "feeds/epss.csv"
