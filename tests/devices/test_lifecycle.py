"""collect/lifecycle.py and analyze/lifecycle.py: component end of support (CycloneDX
``cdx:lifecycle:milestone`` properties) and operating systems past end of security support."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from caresec.analyze.lifecycle import lifecycle_findings, os_end_of_support
from caresec.collect.inventory import collect_inventory
from caresec.collect.lifecycle import collect_component_lifecycles
from caresec.collect.org import load_org
from caresec.collect.sbom import read_sbom
from caresec.model import Asset, OrgConfig, SizeTier

TODAY = date(2026, 11, 29)


def _org(root: Path) -> OrgConfig:
    return OrgConfig(root=root, name="t", size_tier=SizeTier.SMALL, inventory_dir=root,
                     sbom_dir=root / "sboms", feeds_dir=root / "feeds")


def test_component_milestones_json_and_xml(tmp_path: Path, fixtures: Path) -> None:
    (tmp_path / "sboms").mkdir()
    sboms = []
    for name in ("cyclonedx.lifecycle.cdx.json", "cyclonedx.lifecycle.cdx.xml"):
        shutil.copy(fixtures / "devices" / name, tmp_path / "sboms" / name)
        sbom = read_sbom(tmp_path / "sboms" / name, sbom_id=name, display=f"sboms/{name}")
        sboms.append(sbom)
    records, problems = collect_component_lifecycles(_org(tmp_path), sboms)
    dates = {(r.sbom_id, r.bom_ref): r.end_of_support for r in records}
    assert dates == {
        ("cyclonedx.lifecycle.cdx.json", "rtos"): date(2024, 6, 30),
        ("cyclonedx.lifecycle.cdx.json", "tls"): date(2019, 12, 31),  # endOfLife timestamp
        ("cyclonedx.lifecycle.cdx.json", "zlib"): date(2031, 1, 1),  # nested component
        ("cyclonedx.lifecycle.cdx.xml", "win"): date(2020, 1, 14),
    }
    assert [(p.place, "not an ISO 8601 date" in p.message) for p in problems] == [
        ("/components/2", True)]


def test_component_findings_on_the_assets_that_run_the_sbom(
        tmp_path: Path, fixtures: Path, make_device: Callable[..., Asset]) -> None:
    (tmp_path / "sboms").mkdir()
    name = "cyclonedx.lifecycle.cdx.json"
    shutil.copy(fixtures / "devices" / name, tmp_path / "sboms" / name)
    sbom = read_sbom(tmp_path / "sboms" / name, sbom_id=name, display=f"sboms/{name}")
    from dataclasses import replace

    sbom = replace(sbom, asset_ids=("PUMP",))
    records, _ = collect_component_lifecycles(_org(tmp_path), [sbom])
    pump = make_device("PUMP", "Test", "Pump", "3.0")
    other = make_device("OTHER", "Test", "Other", "1")
    findings = lifecycle_findings([pump, other], [sbom], records, today=TODAY)
    assert sorted(f.finding_id for f in findings) == ["EOS-PUMP-rtos", "EOS-PUMP-tls"]
    rtos = next(f for f in findings if f.finding_id == "EOS-PUMP-rtos")
    assert dict(rtos.details)["days past"] == str((TODAY - date(2024, 6, 30)).days)
    assert rtos.threat_event_ids == ("TE-VULN-EXPLOIT",) and rtos.control_ids


@pytest.mark.parametrize(
    ("os_text", "name", "end"),
    [
        # Microsoft end of (extended) support / servicing dates.
        ("Windows 7 Professional SP1", "Windows 7", date(2020, 1, 14)),
        ("Windows Server 2012 R2", "Windows Server 2012 / 2012 R2", date(2023, 10, 10)),
        ("Windows 10 Enterprise 22H2", "Windows 10 version 22H2", date(2025, 10, 14)),
        ("Windows 10 Enterprise LTSB 2016", "Windows 10 Enterprise LTSB 2016",
         date(2026, 10, 13)),
        ("Windows Server 2016", "Windows Server 2016", date(2027, 1, 12)),
        ("Windows XP Embedded", "Windows XP", date(2014, 4, 8)),
    ],
)
def test_os_catalog(os_text: str, name: str, end: date) -> None:
    assert os_end_of_support(os_text) == (name, end)


def test_no_os_match() -> None:
    assert os_end_of_support("vendor firmware") is None
    assert os_end_of_support("Red Hat Enterprise Linux 9") is None


def test_os_finding_only_when_the_inventory_does_not_record_it(
        make_device: Callable[..., Asset]) -> None:
    recorded = make_device("WS", "Microsoft", "Windows 7 Professional", "SP1",
                           end_of_support=date(2020, 1, 14),
                           extra=(("os", "Windows 7 Professional SP1"),))
    unrecorded = make_device("XR", "Clearview", "CV-DR 500", "4.6",
                             extra=(("os", "Windows 7 Embedded Standard"),))
    findings = lifecycle_findings([recorded, unrecorded], [], [], today=TODAY)
    assert [f.finding_id for f in findings] == ["EOS-OS-XR"]
    assert "Windows 7 past end of security support since 2020-01-14" in findings[0].title


def test_example_end_of_support_column_agrees_with_the_os_catalog(example: Path) -> None:
    # The example records the earliest end date of what each asset runs; where that is the
    # operating system, it must equal the catalog's date (EHR-DB-02 ends earlier: SQL Server
    # 2016, 2026-07-14).
    assets, _ = collect_inventory(load_org(example))
    checked = 0
    for asset in assets:
        found = os_end_of_support(dict(asset.extra).get("os", ""))
        if found is None or asset.end_of_support is None:
            continue
        checked += 1
        assert asset.end_of_support <= found[1], asset.asset_id
        if asset.asset_id != "EHR-DB-02":
            assert asset.end_of_support == found[1], asset.asset_id
    assert checked >= 10
    assert lifecycle_findings(assets, [], [], today=TODAY) == []
