"""The fast path of log matching (caresec.intel.fastmatch) gives the reference reader's results.

The reference is the record-by-record reader and matcher (``matcher.FAST_PATH = False``). Logs
are generated from fixed seeds: filler traffic full of near misses plus planted edge cases
(IPv6 forms, CIDR boundaries, parent domains against look-alikes, URL normalization, hash
case, short and blank CSV rows, CRLF, BOM, quoted fields, JSON lines that are not objects,
repeated keys, escapes, type changes, files only the reference can read). Addresses are from
the documentation ranges of RFC 5737 and RFC 3849, names under RFC 2606 ``.example`` and
``.invalid``.
"""

from __future__ import annotations

import csv
import dataclasses
import ipaddress
import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pytest

from caresec.intel import fastmatch, matcher
from caresec.intel.logs import LogSource, load_mapping
from caresec.intel.matcher import IndicatorIndex, match_logs
from caresec.intel.patterns import decompose
from caresec.intel.warninglists import load_warninglists
from caresec.model.intel import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    IntelMatchResult,
    PatternIndicator,
    Tlp,
)

K = IndicatorKind
FROM = datetime(2026, 1, 1, tzinfo=UTC)
DROPPER = "f92b6cbf188a46dfdba3f8e11421bb68f5c11c29cce6e61429fc65f59d044af3"
HELLO_MD5 = "5d41402abc4b2a76b9719d911017c592"  # MD5("hello"), RFC 1321 algorithm
HELLO_SHA1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"  # SHA-1("hello"), FIPS 180-4


def ind(name: str, kind: IndicatorKind, value: str, valid_from: datetime = FROM) -> Indicator:
    return Indicator(indicator_id=f"indicator--{name}", kind=kind, value=value, source="isac",
                     tlp=Tlp.AMBER, confidence=80, valid_from=valid_from)


INDICATORS = (
    ind("ip", K.IPV4, "203.0.113.9"),
    ind("net28", K.IPV4, "198.51.100.16/28"),  # RFC 4632: .16 to .31
    ind("net24", K.IPV4, "198.51.100.0/24"),
    ind("net25", K.IPV4, "192.0.2.128/25"),  # .128 to .255
    ind("v6", K.IPV6, "2001:db8::66"),
    ind("v6net", K.IPV6, "2001:db8:abcd::/48"),
    ind("dom", K.DOMAIN, "evil.example"),
    ind("idn", K.DOMAIN, "xn--bcher-kva.example"),  # bücher.example (RFC 3492 Punycode)
    ind("tld", K.DOMAIN, "invalid"),  # one label: every name under .invalid
    ind("late", K.DOMAIN, "late.example", valid_from=datetime(2026, 6, 1, tzinfo=UTC)),
    ind("url", K.URL, "http://files.evil.example/drop.zip"),
    ind("c2", K.URL, "https://203.0.113.50:8443/c2"),
    ind("sha256", K.SHA256, DROPPER),
    ind("md5", K.MD5, HELLO_MD5),
    ind("sha1", K.SHA1, HELLO_SHA1),
    ind("mail", K.EMAIL, "phisher@evil.example"),
    ind("resolver", K.IPV4, "8.8.8.8"),
)
EXFIL = "[network-traffic:dst_ref.value = '192.0.2.1' AND network-traffic:dst_port = 8443]"

MAPPING = """\
[firewall]
files = ["firewall-*.csv"]
[firewall.columns]
ts = "timestamp"
src = "src_ip"
dst = "dst_ip"
dport = "dst_port"
host = "host"

[proxy]
files = ["proxy-*.csv"]
delimiter = ";"
[proxy.columns]
time = "timestamp"
user = "user"
url = "url"

[dns]
files = ["dns-*.jsonl"]
format = "jsonl"
[dns.columns]
ts = "timestamp"
"q.name" = "domain"
answers = "ip"
client = "host"

[edr]
files = ["edr-*.jsonl"]
format = "jsonl"
[edr.columns]
"@timestamp" = "timestamp"
"file.sha256" = "sha256"
"file.md5" = "md5"
"file.hash" = "hash"

[mail]
files = ["mail-*.csv"]
[mail.columns]
time = "timestamp"
sender = "email"
"""
# Our own list, in the misp-warninglists format: Google Public DNS answers at 8.8.8.8.
WARNINGLIST = {"name": "Public DNS resolvers (test)", "type": "cidr", "list": ["8.8.8.8/32"],
               "matching_attributes": ["ip-src", "ip-dst"]}

NEAR_IPS = ("198.51.100.15", "198.51.100.32", "198.51.101.16", "192.0.2.127", "203.0.113.90",
            "2001:db8:abce::1", "2001:db8::67", "203.0.113.8")
NEAR_NAMES = ("notevil.example", "evil.example.notevil.example", "evilexample", "evil.examples",
              "xevil.example", "invalid.example", "bucher.example", "late.example.org")


def _stamp(rng: random.Random) -> str:
    return f"2026-03-01T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"


def _filler_ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(NEAR_IPS)
    return f"{rng.choice((23, 45, 104, 151))}.{rng.randrange(256)}.{rng.randrange(256)}." \
        f"{rng.randrange(1, 255)}"


def _filler_name(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(NEAR_NAMES)
    return f"{rng.choice(('cdn', 'mail', 'api'))}{rng.randrange(500)}." \
        f"{rng.choice(('example', 'example.org', 'test'))}"


def _csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    return newline.join(delimiter.join(row) for row in rows) + newline


def write_logs(folder: Path, seed: int, filler: int = 600) -> None:
    """The mapping, our warninglist and the log files of one generated case."""
    rng = random.Random(seed)
    (folder / "mapping.toml").write_text(MAPPING)
    (folder / "lists" / "resolvers").mkdir(parents=True)
    (folder / "lists" / "resolvers" / "list.json").write_text(json.dumps(WARNINGLIST))

    planted_dst = ["198.51.100.15", "198.51.100.16", "198.51.100.31", "198.51.100.32",
                   "198.51.101.0", "192.0.2.127", "192.0.2.128", "192.0.2.255", "203.0.113.9",
                   " 203.0.113.9", "203.0.113.09", "2001:DB8:0:0:0:0:0:66", "[2001:db8::66]",
                   "2001:db8:abcd:ffff::1", "2001:db8:abce::1", "8.8.8.8", "", "not-an-ip",
                   "203.0.113.9\x1f198.51.100.20"]
    rows = [["ts", "src", "dst", "dport", "host"]]
    for _ in range(filler):
        rows.append([_stamp(rng), f"10.0.0.{rng.randrange(1, 50)}", _filler_ip(rng),
                     rng.choice(("443", "80", "53")), f"ws-{rng.randrange(40):02d}"])
    for dst in planted_dst:
        rows.insert(rng.randrange(1, len(rows) + 1),
                    [_stamp(rng), "10.0.0.7", dst, "443", "ws-07"])
    rows.insert(rng.randrange(1, len(rows)), [_stamp(rng), "10.0.0.5", "192.0.2.1", "8443", "ws"])
    rows.insert(rng.randrange(1, len(rows)), [_stamp(rng), "10.0.0.5", "192.0.2.1", "443", "ws"])
    rows.insert(rng.randrange(1, len(rows)), ["2025-12-01T00:00:00Z", "10.0.0.6", "203.0.113.9"])
    rows.insert(rng.randrange(1, len(rows)), [_stamp(rng), "10.0.0.6", "198.51.100.20", "1", "h",
                                              "extra", "fields"])
    rows.insert(rng.randrange(1, len(rows)), [])  # a blank line
    rows.insert(rng.randrange(1, len(rows)), ["", "", "", "", ""])
    (folder / "firewall-1.csv").write_text(_csv_text(rows))
    # CRLF, a byte order mark and quoted fields (RFC 4180 §2.5-2.7)
    quoted = [['"ts"', '"src"', '"dst"', '"dport"', '"host"'],
              [f'"{_stamp(rng)}"', '"10.0.0.8"', '"203.0.113.9"', '"443"', '"ws ""main"", a"'],
              [_stamp(rng), "10.0.0.8", '"198.51.100.31"', "443", '""']]
    quoted += [[_stamp(rng), "10.0.0.9", _filler_ip(rng), "443", "ws"] for _ in range(filler)]
    (folder / "firewall-2.csv").write_bytes(b"\xef\xbb\xbf" + _csv_text(quoted, newline="\r\n")
                                            .encode())
    # files the fast path leaves to the reference reader
    (folder / "firewall-3.csv").write_text(
        'ts,src,dst,dport,host\n2026-03-01T01:00:00Z,10.0.0.1,203.0.113.9,443,"two\nlines"\n')
    (folder / "firewall-4.csv").write_bytes(
        b"ts,src,dst,dport,host\r2026-03-01T01:00:00Z,10.0.0.1,203.0.113.9,443,ws\r")
    (folder / "firewall-5.csv").write_bytes(
        b"ts,src,dst,dport,host\n2026-03-01T01:00:00Z,10.0.0.1,203.0.113.9,443,ws\xff\n")
    (folder / "firewall-6.csv").write_bytes(
        b"ts,src,dst,dport,host\n2026-03-01T01:00:00Z,10.0.0.1,203.0.113.9,443,w\0s\n")
    (folder / "firewall-7.csv").write_text(
        'ts,src,dst,dport,host\n2026-03-01T01:00:00Z,10.0.0.1,203.0.113.9,443,w"s"x\n')

    urls = ["HTTP://Files.Evil.Example:80/drop.zip#frag", "http://files.evil.example/drop.zip",
            "http://user@files.evil.example/drop.zip", "https://notevil.example/drop.zip",
            "https://evil.example.notevil.example/", "https://sub.evil.example./path?q=1",
            "http://[2001:db8::66]/x", "https://203.0.113.50:8443/c2", "https://203.0.113.50/c2",
            "http://198.51.100.20:8080/", "http://xn--bcher-kva.example/", "http://bücher.example/",
            "ftp://host.invalid/file", "not a url", "files.evil.example/drop.zip",
            "http://ex%41mple.evil.example/", "http://late.example/"]
    rows = [["time", "user", "url"]]
    for _ in range(filler):
        rows.append([_stamp(rng), f"u{rng.randrange(99)}",
                     f"https://{_filler_name(rng)}/{rng.randrange(99)}"])
    for url in urls:
        rows.insert(rng.randrange(1, len(rows) + 1), [_stamp(rng), "u1", url])
    rows.insert(rng.randrange(1, len(rows)), [_stamp(rng), "u2"])  # short row
    (folder / "proxy-1.csv").write_text(_csv_text(rows, delimiter=";"))

    def line(name: object, answers: object = None, **extra: object) -> str:
        obj: dict[str, object] = {"ts": _stamp(rng), "q": {"name": name}, "client": "ws-04"}
        if answers is not None:
            obj["answers"] = answers
        obj.update(extra)
        return json.dumps(obj, ensure_ascii=False)

    planted = [line("a.b.evil.example.", ["192.0.2.50"]), line("notevil.example", ["192.0.2.51"]),
               line("evil.example.notevil.example"),
               line("EVIL.EXAMPLE", ["203.0.113.9", None, "192.0.2.60"]),
               '{"q": {"name": "evil\\u002eexample"}, "answers": []}',
               line("bücher.example"), line("host.invalid"), line("late.example"),
               '{"q": {"name": "fine.example"}, "q": {"name": "evil.example"}}',
               '{"q.name": "evil.example", "q": {"name": "fine.example"}}',
               '{"q": {"name": 5}, "answers": ["198.51.100.20"]}', '{"q": "evil.example"}',
               '{"answers": "203.0.113.9"}', '{"answers": [5, "203.0.113.9"]}',
               '{"q": {"name": "evil.example"}, "n": NaN}', '{"ts": 1772326800, '
               '"q": {"name": "x.evil.example"}}', "garbage", "[]", "", "   ", "null",
               '{"q": {"name": "x.evil.example"}} {"q": {}}', '{"q": {"name": "ok.example"}}}']
    lines = [line(_filler_name(rng), [_filler_ip(rng)]) for _ in range(filler)]
    for text in planted:
        lines.insert(rng.randrange(len(lines) + 1), text)
    (folder / "dns-1.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "dns-2.jsonl").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(
        [line("files.evil.example", ["2001:db8:abcd::5"]), *lines[:50]]).encode())

    hashes = [{"sha256": DROPPER.upper()}, {"md5": HELLO_MD5}, {"hash": HELLO_SHA1.upper()},
              {"hash": HELLO_MD5}, {"md5": "d41d8cd98f00b204e9800998ecf8427e"},
              {"sha256": f" {DROPPER} "}, {"md5": 5}, {"hash": ["x", HELLO_MD5]}]
    edr = [json.dumps({"@timestamp": _stamp(rng), "file": {
        "sha256": f"{rng.getrandbits(256):064x}", "name": "x.exe"}}) for _ in range(filler)]
    for entry in hashes:
        edr.insert(rng.randrange(len(edr) + 1),
                   json.dumps({"@timestamp": _stamp(rng), "file": entry}))
    (folder / "edr-1.jsonl").write_text("\n".join(edr) + "\n")

    senders = ["Phisher@Evil.Example", "phisher@evil.example", "x@mail.evil.example",
               "x@notevil.example", "no-at-sign", "a@b@evil.example", "x@[203.0.113.9]",
               "x@203.0.113.9"]
    rows = [["time", "sender"]] + [[_stamp(rng), f"u{rng.randrange(99)}@{_filler_name(rng)}"]
                                   for _ in range(filler)]
    for sender in senders:
        rows.insert(rng.randrange(1, len(rows) + 1), [_stamp(rng), sender])
    (folder / "mail-1.csv").write_text(_csv_text(rows))


def run(folder: Path, fast: bool, monkeypatch: pytest.MonkeyPatch,
        detail_limit: int = 7) -> IntelMatchResult:
    monkeypatch.setattr(matcher, "FAST_PATH", fast)
    lists, problems = load_warninglists(folder / "lists")
    assert problems == []
    patterns = decompose(EXFIL)
    assert patterns.support is not None
    exfil = PatternIndicator(
        indicator_id="indicator--exfil", pattern=EXFIL, pattern_type="stix", source="isac",
        tlp=Tlp.GREEN, support=patterns.support, reason=patterns.reason,
        object_types=patterns.object_types, candidates=patterns.candidates, valid_from=FROM)
    result = match_logs(IndicatorSet(INDICATORS, (exfil,)), [folder],
                        load_mapping(folder / "mapping.toml"), lists,
                        detail_limit=detail_limit)
    return dataclasses.replace(result, seconds=0.0)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """File name → whether the fast path read it; every buffer handed to pyarrow's JSON reader
    starts with ``{`` (pyarrow 26 crashes on a buffer whose first document is ``null``)."""
    used: dict[str, bool] = {}
    read = fastmatch.read_selected
    parse = pa_json.read_json

    def reading(path: Path, *args: object) -> fastmatch.FastRead | None:
        found = read(path, *args)  # type: ignore[arg-type]
        used[path.name] = found is not None
        return found

    def parsing(source: pa.BufferReader, **options: object) -> pa.Table:
        assert source.read(1) == b"{"
        source.seek(0)
        return parse(source, **options)

    monkeypatch.setattr(matcher, "read_selected", reading)
    monkeypatch.setattr(fastmatch.pa_json, "read_json", parsing)
    return used


@pytest.mark.parametrize(("seed", "block_bytes", "split_lines"),
                         [(1, 1 << 20, 4096), (2, 4096, 8), (3, 700, 2)])
def test_fast_path_gives_the_reference_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              spy: dict[str, bool], seed: int,
                                              block_bytes: int, split_lines: int) -> None:
    write_logs(tmp_path, seed)
    monkeypatch.setattr(fastmatch, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(fastmatch, "JSON_SPLIT_LINES", split_lines)
    fast = run(tmp_path, True, monkeypatch)
    reference = run(tmp_path, False, monkeypatch)
    assert fast == reference
    assert spy == {"firewall-1.csv": True, "firewall-2.csv": True, "firewall-3.csv": False,
                   "firewall-4.csv": False, "firewall-5.csv": False, "firewall-6.csv": False,
                   "firewall-7.csv": False, "proxy-1.csv": True, "dns-1.jsonl": True,
                   "dns-2.jsonl": True, "edr-1.jsonl": True, "mail-1.csv": True}


def test_planted_cases_hit_as_the_rfcs_say(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write_logs(tmp_path, 4, filler=50)
    result = run(tmp_path, True, monkeypatch, detail_limit=100)
    seen: dict[str, set[str]] = {}
    for hit in result.hits:
        seen.setdefault(hit.indicator.indicator_id.removeprefix("indicator--"), set()).add(
            hit.observed)
    # RFC 4632: a /28 holds 16 addresses (.16-.31); the /24 also holds .15 and .32
    assert {"198.51.100.16", "198.51.100.31"} <= seen["net28"]
    assert not {"198.51.100.15", "198.51.100.32"} & seen["net28"]
    assert {"198.51.100.15", "198.51.100.32"} <= seen["net24"]
    assert seen["net25"] == {"192.0.2.128", "192.0.2.255"}
    # RFC 5952 canonical IPv6 text; RFC 4291 prefixes
    assert "2001:db8::66" in seen["v6"]
    assert "2001:db8:abcd:ffff::1" in seen["v6net"]
    assert "2001:db8:abce::1" not in seen["v6net"]
    # RFC 1034 §3.1: a domain is the subtree under its node, not a string suffix
    assert {"a.b.evil.example", "evil.example", "files.evil.example"} <= seen["dom"]
    assert not {"notevil.example", "evil.example.notevil.example"} & seen["dom"]
    assert "host.invalid" in seen["tld"]
    # RFC 3986 §6.2.2.1 case, §6.2.3 default port, fragment not part of the resource
    assert seen["url"] == {"http://files.evil.example/drop.zip"}
    assert "https://203.0.113.50:8443/c2" in seen["c2"]
    # hex digits compare case-insensitively; the algorithm follows from the length
    assert seen["sha256"] == {DROPPER}
    assert seen["md5"] == {HELLO_MD5}
    assert seen["sha1"] == {HELLO_SHA1}
    assert seen["mail"] == {"phisher@evil.example"}
    # json: of repeated names the last one counts (Python json module documentation)
    lines = (tmp_path / "dns-1.jsonl").read_text(encoding="utf-8").splitlines()
    repeated = f"line {lines.index(next(t for t in lines if 'fine.example' in t)) + 1}"
    assert any(h.place == repeated and h.indicator.indicator_id == "indicator--dom"
               for h in result.hits)
    assert {s.value for s in result.suppressed} == {"8.8.8.8"}
    assert [h.validity for h in result.hits if h.indicator.indicator_id == "indicator--late"] \
        and all(h.validity == "outside validity window" for h in result.hits
                if h.indicator.indicator_id == "indicator--late")


# -- the properties the fast path rests on -------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_well_formed_csv_lines_parse_as_the_csv_module_parses_them(delimiter: str) -> None:
    """For lines of RFC 4180 fields pyarrow's CSV parser gives csv.reader's fields."""
    rng = random.Random(delimiter)
    reader = fastmatch._CsvReader(Path("x.csv"), LogSource(
        "x", ("*",), "csv", (("a", "ip"),), Path("."), delimiter=delimiter))
    alphabet = ["a", "b", delimiter, '"', '""', " ", "é", "'", "\\", ",", ";"]
    checked = 0
    for _ in range(4000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10))) + "\n"
        if not re.fullmatch(reader.well_formed, line):
            continue
        expected = next(csv.reader([line], delimiter=delimiter))
        names = [f"c{i}" for i in range(len(expected))]
        table = pa_csv.read_csv(
            pa.py_buffer(line.encode()), read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char='"' if '"' in line else False,
                escape_char=False, newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False))
        assert [table.column(n)[0].as_py() for n in names] == expected, line
        checked += 1
    assert checked > 500


@pytest.mark.parametrize("line", ['a"b', '"a"b', '"a', 'a,"b" ,c', ' "a"', '"a""'])
def test_other_quoting_is_left_to_the_reference(line: str) -> None:
    reader = fastmatch._CsvReader(Path("x.csv"), LogSource(
        "x", ("*",), "csv", (("a", "ip"),), Path(".")))
    assert not re.fullmatch(reader.well_formed, line + "\n")


def test_pyarrow_reads_no_json_line_that_json_loads_refuses() -> None:
    """Lines ``{…}`` pyarrow parses to one row each are JSON objects for :func:`json.loads`
    too (so counting them as records is right)."""
    rng = random.Random(7)
    base = ['{"ts": "2026-03-01T00:00:00Z", "q": {"name": "evil.example"}, "answers": '
            '["192.0.2.1", null], "n": 5, "f": 1.5e3, "b": true}',
            '{"q": {"name": "a\\u0041\\n"}, "answers": [], "x": {"y": [1, {"z": null}]}}',
            '{"q.name": "c", "q": {"name": "d"}}', '{}', '{"q": "s", "answers": "t"}']
    pieces = ['"', "{", "}", "[", "]", ",", ":", " ", "\\", "u", "0", "1", "e", "-", ".", "n",
              "true", "null", "NaN", "Infinity", "\t", "\x01", "é", "\\ud800", "\\x", "'",
              "/*", "01", "1.", ".5", "} {", "}null{", "1e999", '"q"', '"name"']
    schema = pa.schema([("q.name", pa.string()), ("q", pa.struct([("name", pa.string())])),
                        ("answers", pa.list_(pa.string()))])
    accepted = 0
    for _ in range(3000):
        lines = []
        for _ in range(rng.randint(1, 4)):
            text = rng.choice(base)
            for _ in range(rng.randint(0, 3)):
                at = rng.randint(0, len(text))
                text = text[:at] + rng.choice(pieces) + text[at + rng.choice((0, 1, 2)):]
            if text.startswith("{") and text.endswith("}"):
                lines.append(text)
        if not lines:
            continue
        try:
            table = pa_json.read_json(
                pa.BufferReader(("\n".join(lines) + "\n").encode()),
                parse_options=pa_json.ParseOptions(explicit_schema=schema,
                                                   unexpected_field_behavior="ignore"))
        except pa.ArrowInvalid:
            continue
        if table.num_rows != len(lines):
            continue
        accepted += 1
        for text in lines:
            assert isinstance(json.loads(text), dict), text
    assert accepted > 300


@pytest.mark.parametrize("seed", [1, 2])
def test_prefilter_drops_no_value_the_reference_lookup_matches(seed: int) -> None:
    rng = random.Random(seed)
    indicators: list[Indicator] = []
    values: dict[str, list[str]] = {k: [] for k in ("ip", "domain", "url", "email", "hash")}

    def add(kind: IndicatorKind, value: str, key: str, *samples: str) -> None:
        indicators.append(ind(str(len(indicators)), kind, value))
        values[key].extend(samples or (value,))

    for _ in range(25):
        address = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}." \
            f"{rng.randint(0, 255)}"
        add(K.IPV4, address, "ip")
        network = ipaddress.ip_network(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.0.0/"
                                       f"{rng.randint(8, 31)}", strict=False)
        add(K.IPV4, str(network), "ip", str(network.network_address),
            str(network.broadcast_address), str(network.network_address - 1))
        add(K.IPV6, f"2001:db8::{rng.randint(1, 999):x}", "ip")
        name = f"{rng.choice(['evil', 'a', 'x-y', 'bad_actor'])}." \
            f"{rng.choice(['example', 'co.uk', 'io'])}"
        add(K.DOMAIN, name, "domain")
        add(K.URL, f"http://{rng.choice(['files.', ''])}{name}/{rng.randint(0, 9)}.zip", "url")
        add(K.URL, f"https://{address}:8443/x?q=1", "url")
        add(K.EMAIL, f"user{rng.randint(0, 9)}@{name}", "email")
        add(K.MD5, f"{rng.getrandbits(128):032x}", "hash")
        add(K.SHA256, f"{rng.getrandbits(256):064x}", "hash")
    index = IndicatorIndex(IndicatorSet(tuple(indicators)))
    junk = ["", " ", ".", "..", "@", ":", "/", "//", "[", "]", "%", "#", "?", "\t", "\x1f", "é",
            "\u212a", "0", "256", "-", "www.", "not", "sub.", "HTTP://", "https://", "u:p@",
            ":80", ":443", ":x", "/path", "?q=a.example", "mailto:", "::", "[::1]", "..."]
    pool = [v for vs in values.values() for v in vs]
    lookups = {"ip": index.match_ip, "domain": index.match_domain, "url": index.match_url,
               "email": index.match_email, "hash": index.match_hash}
    matched = 0
    for key, lookup in lookups.items():
        texts = set()
        for _ in range(2500):
            text = rng.choice(values[key] if rng.random() < 0.6 else pool)
            for _ in range(rng.randint(0, 3)):
                at = rng.randint(0, len(text))
                text = rng.choice((text[:at] + rng.choice(junk) + text[at:],
                                   rng.choice(junk) + text, text + rng.choice(junk),
                                   text.upper(), text.swapcase(), text[:at] + text[at + 1:]))
            texts.add(text)
        ordered = sorted(texts)
        maybe = index.prefilter.maybe(key, pa.array(ordered, pa.string()))
        for text, flag in zip(ordered, maybe, strict=True):
            found = lookup(text)
            matched += bool(found)
            assert flag or not found, (key, text, found)
    assert matched > 1000


def test_a_pattern_evaluated_on_every_record_keeps_the_reference_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spy: dict[str, bool]) -> None:
    write_logs(tmp_path, 5, filler=20)
    parts = decompose("[domain-name:value MATCHES '^a\\\\.b\\\\.']")
    assert parts.support is not None and not parts.candidates
    scan = PatternIndicator(
        indicator_id="indicator--scan", pattern="[domain-name:value MATCHES '^a\\\\.b\\\\.']",
        pattern_type="stix", source="isac", tlp=Tlp.GREEN, support=parts.support,
        reason=parts.reason, object_types=parts.object_types, valid_from=FROM)
    result = match_logs(IndicatorSet(INDICATORS, (scan,)), [tmp_path / "dns-1.jsonl",
                                                            tmp_path / "mail-1.csv"],
                        load_mapping(tmp_path / "mapping.toml"))
    assert spy == {"mail-1.csv": True}  # the DNS log, which carries domain-name, is not offered
    assert [h.place for h in result.hits if h.indicator.indicator_id == "indicator--scan"]
