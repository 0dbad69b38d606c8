"""Benchmark: feed import and SBOM matching at production scale.

Generates, from a fixed seed, a feeds folder shaped like the real ones — one OSV ``all.zip``
per ecosystem (PyPI, npm, Maven, Go, crates.io, NuGet) holding 200,000 advisories in all, a
KEV catalog and an EPSS CSV of 250,000 CVEs — and a CycloneDX SBOM of 10,000 components, in a
temporary folder. Then it measures:

* feed import into a fresh store (cold), and again with nothing changed (cached);
* the match of the 10,000 components against a freshly opened store (warm cache: imported
  feeds, empty in-memory lookup cache) and components per second;
* peak resident memory of the process (``ru_maxrss``).

Targets on the 2-core reference machine: import < 60 s, warm match < 5 s, peak RSS < 2 GB.

Run: ``python benchmarks/match_bench.py`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from caresec.analyze.vulns import match_components
from caresec.collect.sbom import read_sbom
from caresec.model import Component
from caresec.store import STORE_FILE, FeedStore

SEED = 20250825
ECOSYSTEMS = {  # ecosystem: (share of advisories, range type, purl type)
    "PyPI": (0.20, "ECOSYSTEM", "pypi"),
    "npm": (0.30, "SEMVER", "npm"),
    "Maven": (0.20, "ECOSYSTEM", "maven"),
    "Go": (0.15, "SEMVER", "golang"),
    "crates.io": (0.08, "SEMVER", "cargo"),
    "NuGet": (0.07, "ECOSYSTEM", "nuget"),
}
VECTORS = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
]
WORDS = ("buffer overflow in parser", "path traversal when extracting archives",
         "prototype pollution via merge", "denial of service through crafted input",
         "cross-site scripting in templates", "SQL injection in query builder",
         "improper certificate validation", "deserialization of untrusted data")


def package_name(rng: random.Random, ecosystem: str, index: int) -> str:
    stem = f"{rng.choice(('fast', 'py', 'data', 'web', 'secure', 'http', 'json', 'core'))}" \
           f"{rng.choice(('lib', 'kit', 'utils', 'parser', 'client', 'server'))}{index}"
    if ecosystem == "Maven":
        return f"org.example{index % 97}.{stem}:{stem}-core"
    if ecosystem == "Go":
        return f"github.com/example{index % 89}/{stem}"
    if ecosystem == "npm" and index % 4 == 0:
        return f"@scope{index % 53}/{stem}"
    if ecosystem == "NuGet":
        return f"Example.{stem.capitalize()}"
    return stem


def history(rng: random.Random) -> list[str]:
    """A package's release versions, oldest first."""
    major, minor, patch = rng.randint(0, 3), rng.randint(0, 9), 0
    versions = []
    for _ in range(rng.randint(8, 40)):
        versions.append(f"{major}.{minor}.{patch}")
        step = rng.random()
        if step < 0.6:
            patch += 1
        elif step < 0.9:
            minor, patch = minor + 1, 0
        else:
            major, minor, patch = major + 1, 0, 0
    return versions


def advisories(rng: random.Random, ecosystem: str, count: int,
               packages: list[tuple[str, list[str]]]) -> Iterator[tuple[str, dict[str, object]]]:
    range_type = ECOSYSTEMS[ecosystem][1]
    for number in range(count):
        name, versions = packages[min(int(rng.paretovariate(1.2)) - 1, len(packages) - 1)
                                  if rng.random() < 0.3 else rng.randrange(len(packages))]
        cve = f"CVE-{rng.randint(2015, 2025)}-{10000 + number * 7 + rng.randint(0, 6)}"
        ghsa = "GHSA-" + "-".join("".join(rng.choice("23456789cfghjmpqrvwx") for _ in range(4))
                                  for _ in range(3))
        start = rng.randrange(len(versions))
        end = min(len(versions) - 1, start + rng.randint(1, 8))
        events: list[dict[str, str]] = [{"introduced": "0" if rng.random() < 0.4
                                         else versions[start]}]
        if end > start or rng.random() < 0.8:
            events.append({"fixed": versions[end]})
        affected_versions = versions[: end] if events[0]["introduced"] == "0" \
            else versions[start:end]
        entry: dict[str, object] = {
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": range_type, "events": events}],
            "database_specific": {"source": "benchmark"},
        }
        if ecosystem in {"PyPI", "Maven", "NuGet"}:
            entry["versions"] = affected_versions
        doc: dict[str, object] = {
            "schema_version": "1.6.0",
            "id": ghsa,
            "modified": "2025-01-01T00:00:00Z",
            "published": f"{cve[4:8]}-03-01T00:00:00Z",
            "aliases": [cve],
            "summary": f"{rng.choice(WORDS)} in {name}",
            "details": " ".join(rng.choice(WORDS) for _ in range(12)),
            "affected": [entry],
            "references": [{"type": "ADVISORY", "url": f"https://nvd.nist.gov/vuln/detail/{cve}"},
                           {"type": "WEB", "url": f"https://example.org/{name}/{number}"}],
        }
        if rng.random() < 0.7:
            doc["severity"] = [{"type": "CVSS_V3" if not (v := rng.choice(VECTORS))
                                .startswith("CVSS:4") else "CVSS_V4", "score": v}]
        yield f"{ghsa}.json", doc


def generate(folder: Path, n_advisories: int, n_components: int) -> tuple[Path, list[str]]:
    """Write feeds/ and sbom.cdx.json under ``folder``; return the SBOM path and CVE ids."""
    rng = random.Random(SEED)
    feeds = folder / "feeds"
    (feeds / "osv").mkdir(parents=True)
    catalog: dict[str, list[tuple[str, list[str]]]] = {}
    cves: list[str] = []
    for ecosystem, (share, _range_type, _purl) in ECOSYSTEMS.items():
        count = int(n_advisories * share)
        packages = [(package_name(rng, ecosystem, i), history(rng))
                    for i in range(max(count // 3, 1))]
        catalog[ecosystem] = packages
        with zipfile.ZipFile(feeds / "osv" / f"{ecosystem}.zip", "w",
                             zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for member, doc in advisories(rng, ecosystem, count, packages):
                cves.extend(doc["aliases"])  # type: ignore[arg-type]
                archive.writestr(member, json.dumps(doc))
    kev_rows = [{"cveID": cve, "dateAdded": "2024-01-15", "dueDate": "2024-02-05",
                 "knownRansomwareCampaignUse": "Unknown", "vulnerabilityName": "benchmark"}
                for cve in rng.sample(cves, 1400)]
    (feeds / "kev.json").write_text(json.dumps({"vulnerabilities": kev_rows}), encoding="utf-8")
    lines = ["#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z", "cve,epss,percentile"]
    scored = set(rng.sample(cves, min(len(cves), 150_000)))
    scored.update(f"CVE-2010-{i}" for i in range(10000, 10000 + 250_000 - len(scored)))
    lines.extend(f"{cve},{rng.random():.5f},{rng.random():.5f}" for cve in sorted(scored))
    (feeds / "epss.csv.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))

    components = []
    for index in range(n_components):
        ecosystem = rng.choices(list(ECOSYSTEMS), [s for s, _r, _p in ECOSYSTEMS.values()])[0]
        name, versions = rng.choice(catalog[ecosystem])
        if rng.random() < 0.3:  # a package no advisory names
            name = package_name(rng, ecosystem, 10_000_000 + index)
        version = rng.choice(versions)
        purl_type = ECOSYSTEMS[ecosystem][2]
        if ecosystem == "Maven":
            group, artifact = name.split(":")
            purl = f"pkg:maven/{group}/{artifact}@{version}"
        elif ecosystem == "Go":
            purl = f"pkg:golang/{name}@v{version}"
        elif name.startswith("@"):
            purl = f"pkg:npm/%40{name[1:]}@{version}"
        else:
            purl = f"pkg:{purl_type}/{name}@{version}"
        components.append({"type": "library", "bom-ref": f"c{index}", "name": name,
                           "version": version, "purl": purl})
    sbom = folder / "sbom.cdx.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                                "components": components}), encoding="utf-8")
    return sbom, cves


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--advisories", type=int, default=200_000)
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="caresec-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        sbom_path, _cves = generate(folder, args.advisories, args.components)
        print(f"generated {args.advisories} advisories and {args.components} components "
              f"in {time.perf_counter() - started:.1f} s")

        store_path = folder / STORE_FILE
        started = time.perf_counter()
        with FeedStore.open(store_path) as store:
            summaries, problems = store.import_feeds(folder / "feeds")
        import_seconds = time.perf_counter() - started
        records = sum(s.records for s in summaries)
        print(f"feed import (cold): {import_seconds:.1f} s for {records} records "
              f"({len(summaries)} feed units, {len(problems)} problems)")

        started = time.perf_counter()
        with FeedStore.open(store_path) as store:
            store.import_feeds(folder / "feeds")
        print(f"feed import (unchanged, cached): {time.perf_counter() - started:.2f} s")

        started = time.perf_counter()
        sbom = read_sbom(sbom_path, sbom_id="sbom.cdx.json")
        components: list[Component] = list(sbom.components)
        print(f"SBOM read: {time.perf_counter() - started:.1f} s for {len(components)} "
              "components")

        started = time.perf_counter()
        with FeedStore.open(store_path) as store:
            matches, not_assessed = match_components(
                components, store, store.kev(), store.epss_lookup())
        match_seconds = time.perf_counter() - started
        print(f"audit match (warm cache): {match_seconds:.2f} s, "
              f"{len(components) / match_seconds:,.0f} components/s, {len(matches)} matches, "
              f"{len(not_assessed)} not assessed")
        rss = peak_rss_mib()
        print(f"peak RSS: {rss:,.0f} MiB")
        ok = import_seconds < 60 and match_seconds < 5 and rss < 2048
        print("targets (import < 60 s, warm match < 5 s, peak RSS < 2 GiB): "
              + ("met" if ok else "MISSED"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
