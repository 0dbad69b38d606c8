"""Benchmark: matching log lines against threat-intelligence indicators at production scale.

Generates, from a fixed seed, in a temporary folder:

* 100,000 indicators (40% IPv4 addresses, 5% CIDR networks /16–/30 in address blocks the
  ordinary traffic does not use, 30% domains, 10% URLs, 15% SHA-256/MD5 hashes), normalized
  as after import;
* 1,000,000 log lines: a firewall CSV export (500,000 lines), a proxy CSV export (250,000) and
  a DNS JSON-lines export (250,000), with destinations drawn with a heavy-tailed popularity
  (as real traffic is: few destinations take most lines) and about 0.1% planted hits;
* a STIX 2.1 bundle of 5,000 indicators, to time the validated import (stix2 + pattern split).

Then it prints the index build time, the match time (wall clock, and the CPU time of all the
process's threads), lines per second (in all and per format) and the peak resident memory of
the process (``ru_maxrss``). Target on the 2-core reference machine: ≥ 500,000 lines/s.
``--reference`` also times the record-by-record reference reader and checks that it gives
the same result.

Run: ``python benchmarks/intel_bench.py`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

from caresec.intel import matcher
from caresec.intel.logs import load_mapping
from caresec.intel.matcher import IndicatorIndex, match_logs
from caresec.intel.stix_import import indicator_set, read_bundle
from caresec.model.intel import Indicator, IndicatorKind, IndicatorSet, Tlp

SEED = 20260302
MAPPING = """\
[firewall]
files = ["firewall-*.csv"]
format = "csv"
[firewall.columns]
time = "timestamp"
src = "src_ip"
dst = "dst_ip"
dport = "dst_port"
host = "host"

[proxy]
files = ["proxy-*.csv"]
format = "csv"
[proxy.columns]
time = "timestamp"
client = "src_ip"
user = "user"
url = "url"

[dns]
files = ["dns-*.jsonl"]
format = "jsonl"
[dns.columns]
ts = "timestamp"
"client.ip" = "src_ip"
"query.name" = "domain"
answers = "ip"
"""
WORDS = ("cdn", "mail", "update", "login", "portal", "api", "static", "img", "secure", "files",
         "news", "shop", "cloud", "app", "data", "media", "sync", "auth", "web", "docs")
TLDS = ("com", "net", "org", "info", "io", "example", "biz", "co")


TRAFFIC_OCTETS = (23, 31, 45, 52, 62, 77, 81, 91, 104, 130, 141, 151, 176, 185, 193, 212)
RANGE_OCTETS = (5, 36, 37, 46, 89, 94, 109, 178, 194, 195)  # CIDR indicators live here


def public_ip(rng: random.Random, octets: tuple[int, ...] = TRAFFIC_OCTETS) -> str:
    first = rng.choice(octets)
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def domain(rng: random.Random) -> str:
    return (f"{rng.choice(WORDS)}{rng.randrange(100000)}.{rng.choice(WORDS)}"
            f"{rng.randrange(1000)}.{rng.choice(TLDS)}")


def make_indicators(rng: random.Random, total: int) -> list[Indicator]:
    found: list[Indicator] = []
    for number in range(total):
        share = number / total
        if share < 0.40:
            kind, value = IndicatorKind.IPV4, public_ip(rng)
        elif share < 0.45:
            prefix = rng.choice((16, 20, 22, 24, 24, 24, 26, 28, 29, 30))
            address = int.from_bytes(bytes(int(p) for p in public_ip(rng, RANGE_OCTETS)
                                           .split(".")), "big")
            address &= (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
            kind = IndicatorKind.IPV4
            value = ".".join(str((address >> s) & 255) for s in (24, 16, 8, 0)) + f"/{prefix}"
        elif share < 0.75:
            kind, value = IndicatorKind.DOMAIN, domain(rng)
        elif share < 0.85:
            kind, value = IndicatorKind.URL, f"http://{domain(rng)}/{rng.randrange(10**6)}.zip"
        elif share < 0.95:
            kind, value = IndicatorKind.SHA256, f"{rng.getrandbits(256):064x}"
        else:
            kind, value = IndicatorKind.MD5, f"{rng.getrandbits(128):032x}"
        found.append(Indicator(f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                               kind, value, "bench", Tlp.AMBER, 80))
    return found


def popular(rng: random.Random, pool: list[str]) -> str:
    """A heavy-tailed pick: index ~ Pareto, so few values take most lines."""
    return pool[min(int(rng.paretovariate(1.1)) - 1, len(pool) - 1)]


def stamp(second: int) -> str:
    return f"2026-03-02T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


def make_logs(rng: random.Random, folder: Path, lines: int,
              indicators: list[Indicator]) -> dict[str, int]:
    ips = [public_ip(rng) for _ in range(200_000)]
    names = [domain(rng) for _ in range(100_000)]
    hosts = [f"10.{i // 250}.{i % 250 // 10}.{i % 10 + 10}" for i in range(2_000)]
    bad_ips = [i.value if "/" not in i.value else i.value.split("/")[0]
               for i in indicators if i.kind is IndicatorKind.IPV4]
    bad_names = [i.value for i in indicators if i.kind is IndicatorKind.DOMAIN]
    bad_urls = [i.value for i in indicators if i.kind is IndicatorKind.URL]
    sizes = {"firewall": lines // 2, "proxy": lines // 4, "dns": lines - lines // 2 - lines // 4}
    with (folder / "firewall-1.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("time", "src", "dst", "dport", "host"))
        for n in range(sizes["firewall"]):
            dst = rng.choice(bad_ips) if rng.random() < 0.001 else popular(rng, ips)
            src = rng.choice(hosts)
            writer.writerow((stamp(n // 20), src, dst, rng.choice((443, 443, 80, 53)),
                             f"WS-{src}"))
    with (folder / "proxy-1.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("time", "client", "user", "url"))
        for n in range(sizes["proxy"]):
            url = (rng.choice(bad_urls) if rng.random() < 0.001
                   else f"https://{popular(rng, names)}/{rng.choice(WORDS)}")
            writer.writerow((stamp(n // 10), rng.choice(hosts), f"u{rng.randrange(3000)}", url))
    with (folder / "dns-1.jsonl").open("w") as handle:
        for n in range(sizes["dns"]):
            name = (f"www.{rng.choice(bad_names)}" if rng.random() < 0.001
                    else popular(rng, names))
            handle.write(json.dumps({"ts": stamp(n // 10), "client": {"ip": rng.choice(hosts)},
                                     "query": {"name": name, "type": "A"},
                                     "answers": [popular(rng, ips)]}) + "\n")
    (folder / "mapping.toml").write_text(MAPPING)
    return sizes


def make_bundle(rng: random.Random, path: Path, count: int) -> None:
    objects = []
    for indicator in make_indicators(rng, count):
        value = indicator.value.replace("'", "\\'")
        if indicator.kind.is_hash:
            path_text = "file:hashes.'SHA-256'" if indicator.kind is IndicatorKind.SHA256 \
                else "file:hashes.MD5"
        else:
            path_text = f"{indicator.kind.value}:value"
        objects.append({"type": "indicator", "spec_version": "2.1", "id": indicator.indicator_id,
                        "created": "2026-01-01T00:00:00.000Z",
                        "modified": "2026-01-01T00:00:00.000Z",
                        "pattern": f"[{path_text} = '{value}']", "pattern_type": "stix",
                        "valid_from": "2026-01-01T00:00:00.000Z"})
    bundle = {"type": "bundle", "id": f"bundle--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
              "objects": objects}
    path.write_text(json.dumps(bundle))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--bundle", type=int, default=5_000,
                        help="indicators in the STIX bundle whose import is timed")
    parser.add_argument("--reference", action="store_true",
                        help="also time the reference reader and compare the results")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="caresec-intel-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        indicators = make_indicators(rng, args.indicators)
        sizes = make_logs(rng, folder, args.lines, indicators)
        make_bundle(rng, folder / "bundle.json", args.bundle)
        print(f"generated {args.indicators:,} indicators, {args.lines:,} log lines "
              f"({', '.join(f'{k} {v:,}' for k, v in sizes.items())}) and a "
              f"{args.bundle:,}-indicator bundle in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        objects, problems = read_bundle(folder / "bundle.json")
        imported = indicator_set([("bench", objects)], {})
        seconds = time.perf_counter() - started
        assert not problems and len(imported.indicators) == args.bundle
        print(f"STIX import (stix2-validated): {args.bundle:,} indicators in {seconds:.2f} s "
              f"= {args.bundle / seconds:,.0f} indicators/s")

        mapping = load_mapping(folder / "mapping.toml")
        started = time.perf_counter()
        index = IndicatorIndex(IndicatorSet(tuple(indicators)))
        print(f"index of {len(index):,} indicators built in "
              f"{time.perf_counter() - started:.2f} s")

        rates = []
        for name, pattern in (("firewall CSV", "firewall-*"), ("proxy CSV", "proxy-*"),
                              ("DNS JSON lines", "dns-*")):
            files = sorted(folder.glob(pattern))
            part = match_logs(index, files, mapping)
            rates.append(f"{name} {part.lines / part.seconds:,.0f}")
        cpu = time.process_time()
        result = match_logs(index, [], mapping)
        cpu = time.process_time() - cpu
        hits = sum(s.count for s in result.sightings)
        print(f"matched {result.lines:,} log lines against {len(index):,} indicators in "
              f"{result.seconds:.2f} s (CPU {cpu:.2f} s) = "
              f"{result.lines / result.seconds:,.0f} lines/s "
              f"({hits:,} hit lines, {len(result.sightings):,} indicators sighted)")
        print(f"per format (lines/s): {'; '.join(rates)}")
        if args.reference:
            matcher.FAST_PATH = False
            reference = match_logs(index, [], mapping)
            matcher.FAST_PATH = True
            same = dataclasses.replace(reference, seconds=0.0) == \
                dataclasses.replace(result, seconds=0.0)
            print(f"reference reader: {reference.seconds:.2f} s = "
                  f"{reference.lines / reference.seconds:,.0f} lines/s; same result: {same}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
