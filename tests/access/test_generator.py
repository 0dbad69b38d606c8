"""The generator: deterministic for a seed, every pattern planted with its events, the log in
the normalized schema, no legitimate access to one's own record, Synthea demographics when
given (../shared/data/access/synthea-27pt)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from caresec.access.generator import (
    GeneratorConfig,
    event_tables,
    generate,
    truth_document,
    write_generated,
)
from caresec.access.schema import EVENT_SCHEMA
from caresec.model.access import AccessPattern

CONFIG = GeneratorConfig(patients=300, users=40, days=14, seed=21)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_files(tmp_path: Path) -> None:
    write_generated(generate(CONFIG), tmp_path / "a")
    write_generated(generate(CONFIG), tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_log_and_truth() -> None:
    gen = generate(CONFIG)
    events = pa.concat_tables(list(event_tables(gen)))
    assert events.schema.equals(EVENT_SCHEMA)
    truth = truth_document(gen)
    incidents = truth["incidents"]
    assert isinstance(incidents, list)
    assert {i["pattern"] for i in incidents} == {p.value for p in AccessPattern}
    ids = set(events.column("event_id").to_pylist())
    assert len(ids) == events.num_rows
    assert all(set(i["event_ids"]) <= ids and i["event_ids"] for i in incidents)
    planted = {e for i in incidents for e in i["event_ids"]}
    assert truth["legitimate_events"] == events.num_rows - len(planted)
    own = {(gen.staff.ids[u], gen.population.ids[p])
           for p, u in enumerate(gen.population.employee) if u >= 0}
    rows = zip(events.column("event_id").to_pylist(), events.column("user_id").to_pylist(),
               events.column("patient_id").to_pylist(), strict=True)
    self_access = {e for e, u, p in rows if (u, p) in own}
    assert self_access and self_access <= planted


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError):
        generate(GeneratorConfig(patients=100, users=10, days=3))


@pytest.mark.realdata
def test_synthea_demographics(shared_data: Path) -> None:
    gen = generate(GeneratorConfig(patients=300, users=40, days=14, seed=2,
                                   synthea=shared_data / "access" / "synthea-27pt"))
    import csv

    with (shared_data / "access" / "synthea-27pt" / "patients.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    # the first 27 patients take Synthea's demographics, except those that became employees
    # or their relatives (who take the workforce member's name and address)
    kept = [i for i, row in enumerate(rows) if gen.population.street[i] == row["ADDRESS"]]
    assert len(kept) >= 20
    for i in kept:
        assert gen.population.birth[i].isoformat() == rows[i]["BIRTHDATE"]
        assert gen.population.family[i] == "".join(c for c in rows[i]["LAST"]
                                                    if not c.isdigit())
