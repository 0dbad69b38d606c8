"""Leaf predicates of the evidence rules (analyze/controls/predicates.py), positives and
negatives side by side. Facts: see tests/controls/conftest.py (CISA KEV dates, Microsoft
lifecycle, NPRM figures)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from caresec.analyze.controls import PREDICATES, build_context
from caresec.analyze.controls.context import EvidenceContext
from caresec.analyze.controls.predicates import months_before
from caresec.model import AssetKind, Component, FindingStatus, KevEntry, NotAssessed, Sbom
from caresec.risk.findings import build_findings

TODAY = date(2026, 11, 29)
Build = Callable[[SimpleNamespace], EvidenceContext]


def ctx(kit: SimpleNamespace, assets: Sequence[Any], matches: Sequence[Any] = (),
        **kw: Any) -> EvidenceContext:
    return build_context(
        assets=assets, sboms=kw.pop("sboms", ()), findings=kw.pop("findings", None)
        or kit.findings(assets, matches), matches=matches, today=TODAY, **kw,
    )


def sbom_for(*asset_ids: str) -> Sbom:
    return Sbom(sbom_id="s.cdx.json", path="s.cdx.json", format="CycloneDX", spec_version="1.5",
                serialization="json", subject="s", components=(), asset_ids=asset_ids)


def kev_days_ago(days: int) -> KevEntry:
    return KevEntry("CVE-2021-44228", TODAY - timedelta(days=days))


CASES: list[tuple[str, str, dict[str, Any], Build, bool | None]] = [
    # --- inventory_present
    ("no inventory", "inventory_present", {}, lambda k: ctx(k, []), False),
    ("one asset", "inventory_present", {}, lambda k: ctx(k, [k.asset("A")]), True),
    ("fewer than min", "inventory_present", {"min_assets": 2},
     lambda k: ctx(k, [k.asset("A")]), False),
    # --- inventory_current: NPRM reviews every 12 months; 12 calendar months before 2026-11-29
    ("changed today", "inventory_current", {"max_months": 12},
     lambda k: ctx(k, [k.asset("A")], inventory_mtimes={"inv.csv": TODAY}), True),
    ("exactly 12 months", "inventory_current", {"max_months": 12},
     lambda k: ctx(k, [k.asset("A")], inventory_mtimes={"inv.csv": date(2025, 11, 29)}), True),
    ("12 months and a day", "inventory_current", {"max_months": 12},
     lambda k: ctx(k, [k.asset("A")], inventory_mtimes={"inv.csv": date(2025, 11, 28)}), False),
    ("newest file counts", "inventory_current", {"max_months": 12},
     lambda k: ctx(k, [k.asset("A")], inventory_mtimes={"a.csv": date(2020, 1, 1),
                                                          "b.csv": date(2026, 6, 1)}), True),
    ("dates not collected", "inventory_current", {"max_months": 12},
     lambda k: ctx(k, [k.asset("A")]), None),
    # --- ephi_assets_identified
    ("ePHI asset", "ephi_assets_identified", {}, lambda k: ctx(k, [k.asset("A")]), True),
    ("no ePHI asset", "ephi_assets_identified", {},
     lambda k: ctx(k, [k.asset("A", holds_ephi=False)]), False),
    # --- inventory_fields_missing
    ("device without end of support", "inventory_fields_missing",
     {"kinds": ["medical device"], "fields": ["version", "end_of_support"]},
     lambda k: ctx(k, [k.asset("PUMP", kind=AssetKind.MEDICAL_DEVICE)]), True),
    ("device with both", "inventory_fields_missing",
     {"kinds": ["medical device"], "fields": ["version", "end_of_support"]},
     lambda k: ctx(k, [k.asset("PUMP", kind=AssetKind.MEDICAL_DEVICE,
                               end_of_support=date(2030, 1, 1))]), False),
    ("server out of scope", "inventory_fields_missing",
     {"kinds": ["medical device"], "fields": ["end_of_support"]},
     lambda k: ctx(k, [k.asset("SRV")]), False),
    ("owner missing", "inventory_fields_missing", {"fields": ["owner", "location"]},
     lambda k: ctx(k, [k.asset("SRV", owner="")]), True),
    # --- kev_open: CVE-2021-44228 in KEV since 2021-12-10
    ("KEV on ePHI asset", "kev_open", {"ephi_only": True},
     lambda k: ctx(k, [k.asset("HL7-01")], [k.log4shell()]), True),
    ("KEV on asset without ePHI", "kev_open", {"ephi_only": True},
     lambda k: ctx(k, [k.asset("HL7-01", holds_ephi=False)], [k.log4shell()]), False),
    ("not in KEV", "kev_open", {},
     lambda k: ctx(k, [k.asset("HL7-01")], [k.log4shell(kev=None)]), False),
    ("medium KEV, critical asked", "kev_open", {"severities": ["critical"]},
     lambda k: ctx(k, [k.asset("PORTAL-WEB-01")], [k.jquery()]), False),
    ("critical KEV, critical asked", "kev_open", {"severities": ["critical"]},
     lambda k: ctx(k, [k.asset("HL7-01")], [k.log4shell()]), True),
    ("known 16 days > 15", "kev_open", {"open_more_than_days": 15},
     lambda k: ctx(k, [k.asset("HL7-01")], [k.log4shell(kev=kev_days_ago(16))]), True),
    ("known 15 days, not more", "kev_open", {"open_more_than_days": 15},
     lambda k: ctx(k, [k.asset("HL7-01")], [k.log4shell(kev=kev_days_ago(15))]), False),
    ("no fix named", "kev_open", {"fix_available_only": True},
     lambda k: ctx(k, [k.asset("HL7-01")],
                   [dataclasses.replace(k.log4shell(), fixed_versions=())]), False),
    ("internet-facing", "kev_open", {"internet_facing_only": True},
     lambda k: ctx(k, [k.asset("PORTAL-WEB-01", internet_facing=True)], [k.jquery()]), True),
    ("internal only", "kev_open", {"internet_facing_only": True},
     lambda k: ctx(k, [k.asset("PORTAL-WEB-01")], [k.jquery()]), False),
    ("suppressed finding", "kev_open", {},
     lambda k: ctx(k, [k.asset("HL7-01")], [k.log4shell()], findings=tuple(
         dataclasses.replace(f, status=FindingStatus.SUPPRESSED)
         for f in k.findings([k.asset("HL7-01")], [k.log4shell()]))), False),
    # --- end_of_support: Windows 7 ended 2020-01-14
    ("Windows 7 workstation", "end_of_support", {"kinds": ["workstation"]},
     lambda k: ctx(k, [k.asset("WS-7", kind=AssetKind.WORKSTATION,
                               end_of_support=date(2020, 1, 14))]), True),
    ("kind out of scope", "end_of_support", {"kinds": ["server"]},
     lambda k: ctx(k, [k.asset("WS-7", kind=AssetKind.WORKSTATION,
                               end_of_support=date(2020, 1, 14))]), False),
    ("still supported", "end_of_support", {},
     lambda k: ctx(k, [k.asset("DC-01", end_of_support=date(2031, 10, 14))]), False),
    ("ends today: not yet past", "end_of_support", {},
     lambda k: ctx(k, [k.asset("FS-01", end_of_support=TODAY)]), False),
    ("no ePHI", "end_of_support", {"ephi_only": True},
     lambda k: ctx(k, [k.asset("PRINT-01", holds_ephi=False,
                               end_of_support=date(2023, 10, 10))]), False),
    # --- sbom_coverage_below
    ("1 of 4 below half", "sbom_coverage_below", {"min_share": 0.5},
     lambda k: ctx(k, [k.asset(i) for i in "ABCD"], sboms=[sbom_for("A")]), True),
    ("2 of 4 is half", "sbom_coverage_below", {"min_share": 0.5},
     lambda k: ctx(k, [k.asset(i) for i in "ABCD"], sboms=[sbom_for("A", "B")]), False),
    ("vendors are out of scope", "sbom_coverage_below", {"min_share": 0.5},
     lambda k: ctx(k, [k.asset("V", kind=AssetKind.VENDOR)]), None),
    # --- activities, audit, business associates
    ("log review ran", "activity_ran", {"activity": "access-log-review"},
     lambda k: ctx(k, [], activities=frozenset({"access-log-review"})), True),
    ("log review absent", "activity_ran", {"activity": "access-log-review"},
     lambda k: ctx(k, []), False),
    ("this audit", "audit_ran", {}, lambda k: ctx(k, []), True),
    ("earlier run", "previous_run", {}, lambda k: ctx(k, [], previous_run=True), True),
    ("first run", "previous_run", {}, lambda k: ctx(k, []), False),
    ("vendor with ePHI", "vendors_with_ephi", {},
     lambda k: ctx(k, [k.asset("VENDOR-BILLING", kind=AssetKind.VENDOR)]), True),
    ("vendor without ePHI", "vendors_with_ephi", {},
     lambda k: ctx(k, [k.asset("VENDOR-HR", kind=AssetKind.VENDOR, holds_ephi=False)]), False),
    ("SBOM read", "sboms_analyzed", {}, lambda k: ctx(k, [], sboms=[sbom_for()]), True),
    ("no SBOM", "sboms_analyzed", {}, lambda k: ctx(k, []), False),
]


@pytest.mark.parametrize(
    ("kind", "params", "build", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_predicate(
    kit: SimpleNamespace, kind: str, params: dict[str, Any], build: Build,
    expected: bool | None,
) -> None:
    predicate = PREDICATES[kind]
    verdict = predicate.check(build(kit), predicate.params.model_validate(params))
    assert verdict.holds is expected
    assert verdict.summary
    assert set(verdict.facts) <= predicate.facts
    if expected:
        assert verdict.evidence  # every positive cites its evidence


def test_every_kind_has_a_case() -> None:
    assert {c[1] for c in CASES} | {"not_assessed"} == set(PREDICATES)


@pytest.mark.parametrize(("components", "expected"), [(1, True), (0, False)])
def test_not_assessed(kit: SimpleNamespace, components: int, expected: bool) -> None:
    pump = kit.asset("IP-FLEET", kind=AssetKind.MEDICAL_DEVICE)
    items = [
        NotAssessed(Component(bom_ref="fw", name="MIS-7 firmware", version="4.2.1",
                              asset_ids=("IP-FLEET",)), "no purl (CPE only)")
    ][:components]
    found = build_findings([pump], [], items, today=TODAY, threat_events={})
    context = build_context(assets=[pump], sboms=(), findings=found, matches=(), today=TODAY)
    verdict = PREDICATES["not_assessed"].check(context, PREDICATES["not_assessed"].params())
    assert verdict.holds is expected
    assert verdict.finding_ids == (("NA-IP-FLEET",) if expected else ())


def test_kev_days_are_counted_from_kev_date_added(kit: SimpleNamespace) -> None:
    # CISA KEV dateAdded for CVE-2021-44228 is 2021-12-10; 2026-11-29 is 1,815 days later.
    context = ctx(kit, [kit.asset("HL7-01")], [kit.log4shell()])
    (exposure,) = context.kev_open
    assert (exposure.cve_id, exposure.date_added, exposure.days_known) == (
        "CVE-2021-44228", date(2021, 12, 10), 1815
    )
    assert exposure.fix_available and exposure.ransomware and exposure.holds_ephi
    verdict = PREDICATES["kev_open"].check(context, PREDICATES["kev_open"].params())
    assert verdict.facts["items"] == "CVE-2021-44228 open at least 1,815 days on HL7-01"
    assert verdict.finding_ids == ("VULN-HL7-01-CVE-2021-44228",)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 29), 12, date(2025, 11, 29)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # 2024 is a leap year
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 5, 31), 6, date(2025, 11, 30)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected
