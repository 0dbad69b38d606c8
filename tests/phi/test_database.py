"""Databases through SQLAlchemy: SQLite here, and a real PostgreSQL server when one is given.

PostgreSQL: set CARESEC_TEST_POSTGRES_URL (``. .ci/postgres.sh`` starts a throw-away server and
sets it). Without it the test is skipped locally, but fails under CI=true, where the server is
part of the promise.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
from pathlib import Path

import pytest

from caresec.collect.phi import Limits, scan_sources
from caresec.model.phi import PhiInventory, PhiType

KEY = b"d" * 32
ROWS = [(f"RCH00991{i:02d}", f"Zephyrine{i} Quillfeather", f"123-45-{6700 + i:04d}",
         f"1930-02-{1 + i % 27:02d}", "Seen by Dr. Hollowell; son Barnabus aware.")
        for i in range(40)]
_CREATE = ("CREATE TABLE patients (mrn VARCHAR(20), patient_name VARCHAR(80), ssn VARCHAR(11), "
           "dob VARCHAR(10), notes VARCHAR(200))")


def _check(inv: PhiInventory, prefix: str) -> None:
    by_column = {loc.location.rsplit("#", 1)[1]: loc for loc in inv.locations
                 if loc.location.startswith(prefix)}
    assert dict(by_column["mrn"].counts) == {PhiType.MRN: 10}  # the 10-row sample
    assert by_column["mrn"].records == 40
    assert by_column["mrn"].individuals == 40  # all-distinct key column: extrapolated
    assert dict(by_column["ssn"].counts) == {PhiType.SSN: 10}
    assert dict(by_column["dob"].counts) == {PhiType.DATE: 10}
    assert PhiType.NAME in dict(by_column["notes"].counts)  # "Hollowell", "Barnabus"
    assert not any("table" in p.message for p in inv.problems)


def test_sqlite_url(tmp_path: Path) -> None:
    path = tmp_path / "ehr.sqlite"
    with sqlite3.connect(path) as con:
        con.execute(_CREATE)
        con.executemany("INSERT INTO patients VALUES (?,?,?,?,?)", ROWS)
    url = f"sqlite:///{path}"
    inv = scan_sources([], dbs=[url], key=KEY, limits=Limits(db_sample_rows=10), workers=1)
    _check(inv, f"db:{url}#patients#")


def test_sqlite_file_in_a_folder_is_scanned_as_a_database(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "billing.db") as con:
        con.execute(_CREATE)
        con.executemany("INSERT INTO patients VALUES (?,?,?,?,?)", ROWS)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, limits=Limits(db_sample_rows=10),
                       workers=1)
    _check(inv, "billing.db#patients#")


def test_unreachable_database_is_a_problem() -> None:
    inv = scan_sources([], dbs=["postgresql+psycopg2://u:secret@127.0.0.1:1/none"], key=KEY,
                       workers=1)
    assert inv.locations == ()
    (problem,) = inv.problems
    assert problem.file == "db:postgresql+psycopg2://u:***@127.0.0.1:1/none"
    assert "secret" not in str(problem)


def test_postgresql_server() -> None:
    url = os.environ.get("CARESEC_TEST_POSTGRES_URL", "")
    if not url:
        reason = ("CARESEC_TEST_POSTGRES_URL is not set (source .ci/postgres.sh to start a "
                  "PostgreSQL server)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI the server must be running", pytrace=False)
        pytest.skip(reason)
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS patients"))
        conn.execute(sa.text(_CREATE))
        conn.execute(sa.text("INSERT INTO patients VALUES (:a, :b, :c, :d, :e)"),
                     [dict(zip("abcde", r, strict=True)) for r in ROWS])
    try:
        inv = scan_sources([], dbs=[url], key=KEY, limits=Limits(db_sample_rows=10), workers=1)
        prefix = f"db:{sa.engine.make_url(url).render_as_string(hide_password=True)}#patients#"
        _check(inv, prefix)
        assert url.split(":")[2].split("@")[0] not in repr(inv)  # no password anywhere
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE patients"))
        engine.dispose()


def test_missing_sqlite_file_is_a_problem_and_not_created(tmp_path: Path) -> None:
    absent = tmp_path / "nonexist.sqlite"
    inv = scan_sources([], dbs=[f"sqlite:///{absent}", "sqlite:///"], key=KEY, workers=1)
    assert not absent.exists()  # opened read-only: nothing created
    assert [(p.file, p.message.split(" (")[0]) for p in inv.problems] == [
        (f"db:sqlite:///{absent}", "no such database file"),
        ("db:sqlite:///", "no SQLite database file in the URL")]
    # negative: an existing file is read, and left unchanged
    path = tmp_path / "ehr.sqlite"
    with sqlite3.connect(path) as con:
        con.execute(_CREATE)
        con.executemany("INSERT INTO patients VALUES (?,?,?,?,?)", ROWS)
    before = path.read_bytes()
    inv = scan_sources([], dbs=[f"sqlite:///{path}"], key=KEY,
                       limits=Limits(db_sample_rows=10), workers=1)
    assert inv.problems == ()
    _check(inv, f"db:sqlite:///{path}#patients#")
    assert path.read_bytes() == before


def test_missing_driver_is_named() -> None:
    # PyMySQL is not a dependency of caresec: the mysql+pymysql dialect cannot import it
    if importlib.util.find_spec("pymysql") is not None:  # pragma: no cover
        pytest.skip("PyMySQL is installed here")
    inv = scan_sources([], dbs=["mysql+pymysql://u:secret@127.0.0.1:1/none"], key=KEY,
                       workers=1)
    (problem,) = inv.problems
    assert problem.message.startswith(
        "the database driver pymysql is not installed (pip install PyMySQL)")
    assert "secret" not in str(problem)
    # negative: an unknown dialect is not a driver problem
    inv = scan_sources([], dbs=["nosuchdialect://u@h/x"], key=KEY, workers=1)
    assert "not a usable database URL" in inv.problems[0].message


def test_fts_shadow_tables_are_not_counted_twice(tmp_path: Path) -> None:
    # FTS5 keeps a virtual table's text in notes_content (and its index in notes_data,
    # notes_idx, notes_docsize, notes_config): sqlite.org/fts5.html §9
    path = tmp_path / "notes.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE VIRTUAL TABLE notes USING fts5(patient_name, body)")
        con.executemany("INSERT INTO notes VALUES (?, ?)",
                        [(f"Zephyrine{i} Quillfeather", "Call 410-555-0142 re: results.")
                         for i in range(5)])
        # negative: an ordinary table whose name ends like a shadow table is read
        con.execute("CREATE TABLE intake_content (patient_name VARCHAR(80))")
        con.execute("INSERT INTO intake_content VALUES ('Barnabus Hollowell')")
    inv = scan_sources([], dbs=[f"sqlite:///{path}"], key=KEY, workers=1)
    tables = {loc.location.split("#")[1] for loc in inv.locations}
    assert tables == {"notes", "intake_content"}
    names = next(loc for loc in inv.locations if loc.location.endswith("#notes#patient_name"))
    assert dict(names.counts) == {PhiType.NAME: 5}
