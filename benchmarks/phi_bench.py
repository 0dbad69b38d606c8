"""Throughput of ``scan_sources`` on a generated mixed corpus, with plain Presidio beside it.

Usage::

    python benchmarks/phi_bench.py [--size-mb 1100] [--dir /tmp/caresec-phi-bench] [--keep]

Generates a corpus of synthetic, planted PHI (fictional names, never-issued 9xx SSNs, 555-01xx
phones, example.org e-mail): CSV exports, clinical notes, HL7 v2 batches, FHIR NDJSON bundles
and PDFs, about ``--size-mb`` in all. Then:

1. scans the structured part (CSV, HL7, FHIR) and the documents (notes, PDFs) with
   ``scan_sources`` on every core, with a progress bar (one step per file or part of a large
   table), printing MB/s, files/s, peak RSS (sum over the processes), CPU use (2.0 = both
   cores busy) and the 1-minute load average at the end (other work on the machine shows
   there) for each and for the whole;
2. on a mixed sample of about 0.6 MB runs caresec and plain Presidio (AnalyzerEngine, default
   recognizers, blank spaCy pipeline) and prints both throughputs and their recall of the
   planted identifiers (counted per type and file: found = min(detected, planted)).

The corpus is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caresec.collect.phi import scan_sources
from caresec.model.phi import PhiType

FIRST = ["Wilhelmina", "Barnaby", "Marisol", "Thaddeus", "Octavia", "Ignatius", "Persephone",
         "Cornelius", "Agatha", "Rosalind", "Tobias", "Eudora", "Lysander", "Winifred"]
LAST = ["Thistlewood", "Quickfoot", "Fernwhistle", "Pumpernickel", "Brambleworth", "Wobblesworth",
        "Dewberry", "Fiddlewick", "Quillfeather", "Hollowell", "Marchbanks", "Quenby"]
STREETS = ["Larkspur Lane", "Orchard Road", "Juniper Court", "Gristmill Way", "Heron Drive"]
CLINICAL = ["Neuro: alert and oriented x3.", "CV: SR 70s, BP 118/64.", "Resp: lungs clear, 2L NC.",
            "GI: tolerating diet.", "GU: foley draining clear urine.", "Plan: continue diuresis."]


def person(rng: random.Random, i: int) -> dict[str, str]:
    return {
        "mrn": f"RCH{i:07d}", "first": rng.choice(FIRST), "last": rng.choice(LAST),
        "dob": f"19{rng.randint(20, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "ssn": f"9{rng.randint(0, 99):02d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}",
        "phone": f"(410) 555-01{rng.randint(0, 99):02d}", "email": f"pt{i}@example.org",
        "street": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        "zip": f"21{rng.randint(200, 299)}", "member": f"RVH-{88000000 + i}",
    }


def write_csv(path: Path, rng: random.Random, rows: int, start: int) -> Counter[PhiType]:
    planted: Counter[PhiType] = Counter()
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["mrn", "first_name", "last_name", "dob", "ssn", "phone", "email",
                      "street_address", "zip", "insurance_member_id", "diagnosis_code", "notes"])
        for i in range(start, start + rows):
            p = person(rng, i)
            note = (f"Seen by Dr. {rng.choice(LAST)}; daughter {rng.choice(FIRST)} aware."
                    if i % 10 == 0 else "Stable.")
            out.writerow([p["mrn"], p["first"], p["last"], p["dob"], p["ssn"], p["phone"],
                          p["email"], p["street"], p["zip"], p["member"],
                          rng.choice(["I10", "E11.9", "J44.1"]), note])
            planted.update({PhiType.MRN: 1, PhiType.NAME: 2 + (2 if i % 10 == 0 else 0),
                            PhiType.DATE: 1, PhiType.SSN: 1, PhiType.PHONE: 1,
                            PhiType.EMAIL: 1, PhiType.ADDRESS: 1, PhiType.ZIP: 1,
                            PhiType.HEALTH_PLAN_ID: 1})
    return planted


def note_text(rng: random.Random, i: int) -> tuple[str, Counter[PhiType]]:
    p = person(rng, i)
    lines = [f"ICU NURSING NOTE {rng.randint(1, 12)}/{rng.randint(1, 28)}/2024",
             f"Pt {p['first']} {p['last']} (MRN {p['mrn']}) admitted {rng.randint(1, 12)}/"
             f"{rng.randint(1, 28)} with CHF."]
    lines += rng.sample(CLINICAL, 4) * 3
    lines.append(f"Social: son {rng.choice(FIRST)} visited, reach him at {p['phone']}.")
    lines.append(f"Dr. {rng.choice(LAST)} aware of plan.")
    planted = Counter({PhiType.NAME: 4, PhiType.DATE: 2, PhiType.MRN: 1, PhiType.PHONE: 1})
    return "\n".join(lines) + "\n", planted


def write_hl7(path: Path, rng: random.Random, messages: int, start: int) -> Counter[PhiType]:
    planted: Counter[PhiType] = Counter()
    with path.open("w", newline="") as handle:
        for i in range(start, start + messages):
            p = person(rng, i)
            ssn = p["ssn"].replace("-", "")
            handle.write("\r".join([
                f"MSH|^~\\&|REG|RCH|MIRTH|RCH|20240612{i % 24:02d}00||ADT^A01|M{i}|P|2.5.1",
                f"PID|1||{p['mrn']}^^^RCH^MR||{p['last'].upper()}^{p['first'].upper()}||"
                f"{p['dob'].replace('-', '')}|F|||{p['street'].upper()}^^RIVERSIDE^MD^{p['zip']}"
                f"||{p['phone']}|||||ACC{i}|{ssn}",
                f"NK1|1|{p['last'].upper()}^{rng.choice(FIRST).upper()}|DAU||{p['phone']}",
                f"PV1|1|I|ICU^201^1|E|||1234567893^{rng.choice(LAST).upper()}^EVANGELINE",
                "OBX|1|NM|2345-7^Glucose^LN||104|mg/dL|70-99|H|||F",
            ]) + "\r")
            planted.update({PhiType.MRN: 1, PhiType.NAME: 3, PhiType.DATE: 1,
                            PhiType.ADDRESS: 1, PhiType.LOCATION: 1, PhiType.ZIP: 1,
                            PhiType.PHONE: 2, PhiType.ACCOUNT: 1, PhiType.SSN: 1,
                            PhiType.NPI: 1})
    return planted


def write_fhir(path: Path, rng: random.Random, patients: int, start: int) -> Counter[PhiType]:
    planted: Counter[PhiType] = Counter()
    with path.open("w") as handle:
        for i in range(start, start + patients):
            p = person(rng, i)
            handle.write(json.dumps({
                "resourceType": "Patient", "id": f"p{i}",
                "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": p["mrn"]}],
                "name": [{"family": p["last"], "given": [p["first"]]}],
                "telecom": [{"system": "phone", "value": p["phone"]},
                            {"system": "email", "value": p["email"]}],
                "birthDate": p["dob"],
                "address": [{"line": [p["street"]], "city": "Riverside",
                             "postalCode": p["zip"]}],
            }) + "\n")
            planted.update({PhiType.MRN: 1, PhiType.NAME: 2, PhiType.PHONE: 1,
                            PhiType.EMAIL: 1, PhiType.DATE: 1, PhiType.ADDRESS: 1,
                            PhiType.LOCATION: 1, PhiType.ZIP: 1})
    return planted


def pdf_bytes(lines: list[str]) -> bytes:
    body = " ".join(f"({ln.replace('(', '[').replace(')', ']')}) Tj T*" for ln in lines)
    content = f"BT /F1 10 Tf 14 TL 40 760 Td {body} ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


def generate(root: Path, size_mb: int, rng: random.Random) -> dict[str, Counter[PhiType]]:
    """Write the corpus; returns planted counts per file (relative path)."""
    planted: dict[str, Counter[PhiType]] = {}
    budget = size_mb << 20
    shares = {"csv": 0.72, "notes": 0.08, "hl7": 0.09, "fhir": 0.09, "pdf": 0.02}
    for sub in shares:
        (root / sub).mkdir(parents=True, exist_ok=True)
    counter = 0
    with _bar() as bar:
        task = bar.add_task("generating", total=budget)
        for sub, share in shares.items():
            target = int(budget * share)
            written = 0
            index = 0
            while written < target:
                index += 1
                if sub == "csv":
                    path = root / sub / f"export-{index:03d}.csv"
                    planted[f"{sub}/{path.name}"] = write_csv(path, rng, 200_000, counter)
                    counter += 200_000
                elif sub == "hl7":
                    path = root / sub / f"adt-{index:03d}.hl7"
                    planted[f"{sub}/{path.name}"] = write_hl7(path, rng, 5_000, counter)
                    counter += 5_000
                elif sub == "fhir":
                    path = root / sub / f"patients-{index:03d}.ndjson"
                    planted[f"{sub}/{path.name}"] = write_fhir(path, rng, 8_000, counter)
                    counter += 8_000
                elif sub == "notes":
                    path = root / sub / f"note-{index:05d}.txt"
                    text, counts = note_text(rng, counter)
                    counter += 1
                    path.write_text(text * 8)
                    planted[f"{sub}/{path.name}"] = Counter({k: v * 8 for k, v in counts.items()})
                else:
                    path = root / sub / f"letter-{index:04d}.pdf"
                    text, counts = note_text(rng, counter)
                    counter += 1
                    path.write_bytes(pdf_bytes(text.splitlines()))
                    planted[f"{sub}/{path.name}"] = counts
                size = path.stat().st_size
                written += size
                bar.advance(task, size)
    return planted


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn())


class Sampler:
    """Samples the RSS of this process and its children every 0.2 s; keeps the peak sum."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = 0
            for proc in (me, *me.children(recursive=True)):
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    me = psutil.Process()
    times = me.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def run_scan(label: str, paths: list[Path], root: Path) -> tuple[float, int, int]:
    files = sum(1 for p in paths for f in p.rglob("*") if f.is_file())
    with _bar() as bar, Sampler() as sampler:
        task = bar.add_task(f"scanning {label}", total=files)
        cpu0, began = cpu_seconds(), time.perf_counter()
        inventory = scan_sources(paths, key=b"b" * 32, root=root,
                                 progress=lambda done, total, _n: bar.update(
                                     task, completed=done, total=total))
        wall = time.perf_counter() - began
        cpu = cpu_seconds() - cpu0
    mb = inventory.bytes / 1e6
    print(f"{label:12} {mb:9.1f} MB {inventory.files:6d} files {wall:8.1f} s  "
          f"{mb / wall:7.2f} MB/s {inventory.files / wall:8.1f} files/s  "
          f"peak RSS {sampler.peak / 2**20:7.0f} MiB  CPU use {cpu / wall:4.2f} cores  "
          f"load {os.getloadavg()[0]:.2f}  problems {len(inventory.problems)}")
    return wall, inventory.bytes, inventory.files


def sample_comparison(root: Path, planted: dict[str, Counter[PhiType]]) -> None:
    """caresec vs plain Presidio on a ~0.6 MB mixed sample: throughput and recall."""
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from pypdf import PdfReader

    from phi_eval import _offline_email

    sample_dir = root / "sample"
    picks: list[str] = []
    for sub, limit in (("csv", 1), ("hl7", 1), ("fhir", 1), ("notes", 20), ("pdf", 10)):
        picks += sorted(k for k in planted if k.startswith(f"{sub}/"))[:limit]
    for rel in picks:
        dest = sample_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith("csv/"):  # 2,000 rows of the export: ~250 kB
            lines = (root / rel).read_text().splitlines(keepends=True)[:2_001]
            dest.write_text("".join(lines))
            planted[f"sample/{rel}"] = Counter({k: v * 2_000 // 200_000
                                                for k, v in planted[rel].items()})
        elif rel.startswith(("hl7/", "fhir/")):
            with (root / rel).open(newline="") as handle:  # keep HL7's CR segment ends
                text = handle.read()
            cut = text[: 120_000]
            cut = cut[: cut.rfind("\rMSH") + 1] if rel.startswith("hl7/") else cut[
                : cut.rfind("\n") + 1]
            with dest.open("w", newline="") as handle:
                handle.write(cut)
            share = len(cut) / len(text)
            planted[f"sample/{rel}"] = Counter({k: int(v * share) for k, v in planted[rel].items()})
        else:
            shutil.copy(root / rel, dest)
            planted[f"sample/{rel}"] = planted[rel]
    files = sorted(p for p in sample_dir.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)

    began = time.perf_counter()
    inventory = scan_sources([sample_dir], key=b"s" * 32, root=root, workers=1)
    ours_wall = time.perf_counter() - began
    ours: dict[str, Counter[PhiType]] = {}
    for loc in inventory.locations:
        base = loc.location.split("#", 1)[0]
        ours.setdefault(base, Counter()).update(dict(loc.counts))

    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    nlp = spacy.blank("en")
    nlp.max_length = 10**9
    engine.nlp = {"en": nlp}
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=engine)
    _offline_email(registry)
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry)
    mapping = {"PHONE_NUMBER": PhiType.PHONE, "US_SSN": PhiType.SSN, "EMAIL_ADDRESS":
               PhiType.EMAIL, "DATE_TIME": PhiType.DATE, "PERSON": PhiType.NAME,
               "LOCATION": PhiType.LOCATION, "US_DRIVER_LICENSE": PhiType.LICENSE,
               "IP_ADDRESS": PhiType.IP_ADDRESS, "URL": PhiType.URL, "US_NPI": PhiType.NPI,
               "US_MBI": PhiType.MBI, "MEDICAL_LICENSE": PhiType.DEA,
               "US_HEALTH_INSURANCE_MEMBER_ID": PhiType.HEALTH_PLAN_ID}
    theirs: dict[str, Counter[PhiType]] = {}
    began = time.perf_counter()
    for path in files:
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".pdf":
            text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        else:
            text = path.read_text()
        found: Counter[PhiType] = Counter()
        for start in range(0, len(text), 200_000):
            for result in analyzer.analyze(text[start:start + 200_000], language="en"):
                if result.entity_type in mapping:
                    found[mapping[result.entity_type]] += 1
        theirs[rel] = found
    their_wall = time.perf_counter() - began

    def recall(found: dict[str, Counter[PhiType]]) -> float:
        hit = total = 0
        for path in files:
            rel = path.relative_to(root).as_posix()
            want = planted[rel]
            got = found.get(rel, Counter())
            total += sum(want.values())
            hit += sum(min(n, got.get(k, 0)) for k, n in want.items())
        return hit / total

    print(f"sample: {len(files)} files, {size / 1e6:.2f} MB (CSV, HL7, FHIR, notes, PDFs)")
    print(f"  caresec (1 process)       {size / 1e6 / ours_wall:7.2f} MB/s   recall of planted "
          f"identifiers {recall(ours):.3f}")
    print(f"  plain Presidio            {size / 1e6 / their_wall:7.2f} MB/s   recall of planted "
          f"identifiers {recall(theirs):.3f}")
    print(f"  speed-up {their_wall / ours_wall:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1100)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/caresec-phi-bench"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    root: Path = args.dir
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(2024)
    planted = generate(root, args.size_mb, rng)
    print(f"corpus: {sum(p.stat().st_size for p in root.rglob('*') if p.is_file()) / 1e6:.1f} MB "
          f"in {len(planted)} files at {root}")
    try:
        structured = run_scan("structured", [root / "csv", root / "hl7", root / "fhir"], root)
        documents = run_scan("documents", [root / "notes", root / "pdf"], root)
        wall = structured[0] + documents[0]
        size = structured[1] + documents[1]
        files = structured[2] + documents[2]
        print(f"{'all':12} {size / 1e6:9.1f} MB {files:6d} files {wall:8.1f} s  "
              f"{size / 1e6 / wall:7.2f} MB/s {files / wall:8.1f} files/s")
        sample_comparison(root, planted)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
