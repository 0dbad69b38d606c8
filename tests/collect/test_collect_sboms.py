"""collect_sboms: every SBOM in the folder read, linked to the inventory rows that name it; a bad
file or a missing SBOM is a problem and everything else still loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from caresec.collect.inventory import collect_inventory
from caresec.collect.sbom import collect_sboms
from caresec.model import OrgConfig, ProblemSeverity

MakeOrg = Callable[..., OrgConfig]  # the make_org fixture of tests/collect/conftest.py

INVENTORY = """\
asset_id,name,kind,holds_ephi,criticality,sbom
PUMP-ICU,ICU infusion pumps,medical device,yes,life-sustaining,pumps/ip-200.cdx.json
PUMP-ED,ED infusion pumps,medical device,yes,life-sustaining,pumps/ip-200.cdx.json
PACS,PACS viewer,application,yes,diagnostic,pacs.spdx.json; pacs.spdx
PORTAL,Lab results portal,application,yes,business,portal/missing.cdx.json
CALL,Nurse call,server,no,clinical support,sboms/nurse-call.json
ESCAPE,Escapee,server,no,business,../caresec.toml
BROKEN,Broken SBOM owner,server,no,business,broken.json
"""


def test_collect_links_assets_and_reports_problems(make_org: MakeOrg) -> None:
    org = make_org(sboms={
        "pumps/ip-200.cdx.json": "sboms/cyclonedx-1.6.infusion-pump.cdx.json",
        "pacs.spdx.json": "sboms/spdx23.pacs-viewer.spdx.json",
        "pacs.spdx": "sboms/spdx23.pacs-viewer.spdx",
        "nurse-call.json": "sboms/cyclonedx-1.5.lenient.json",
        "broken.json": "sboms/cyclonedx.malformed.json",
        "attack.xml": "sboms/cyclonedx.xxe.xml",
        "README.md": "sboms/cyclonedx.malformed.json",  # notes are not read
        "notes.pdf": "sboms/cyclonedx.malformed.json",  # unknown ending: warned, not read
    })
    (org.inventory_dir / "assets.csv").write_text(INVENTORY, encoding="utf-8")
    assets, inventory_problems = collect_inventory(org)
    assert inventory_problems == ()
    sboms, problems = collect_sboms(org, assets)

    by_id = {s.sbom_id: s for s in sboms}
    # The good SBOMs load despite the malformed and hostile ones beside them.
    assert sorted(by_id) == ["nurse-call.json", "pacs.spdx", "pacs.spdx.json",
                             "pumps/ip-200.cdx.json"]
    pumps = by_id["pumps/ip-200.cdx.json"]
    assert pumps.path == "sboms/pumps/ip-200.cdx.json"
    assert pumps.asset_ids == ("PUMP-ICU", "PUMP-ED")
    assert all(c.asset_ids == ("PUMP-ICU", "PUMP-ED") for c in pumps.components)
    assert all(c.sbom_id == "pumps/ip-200.cdx.json" for c in pumps.components)
    assert by_id["pacs.spdx"].asset_ids == by_id["pacs.spdx.json"].asset_ids == ("PACS",)
    # "sboms/nurse-call.json" is written relative to the org folder, so it does not link.
    assert by_id["nurse-call.json"].asset_ids == ()

    def where(file: str) -> list[tuple[str, ProblemSeverity]]:
        return [(p.place, p.severity) for p in problems if p.file == file]

    assert where("sboms/broken.json") == [("line 5, column 66", ProblemSeverity.ERROR)]
    assert where("sboms/attack.xml") == [("", ProblemSeverity.ERROR)]
    assert where("sboms/notes.pdf") == [("", ProblemSeverity.WARNING)]
    assert where("sboms/README.md") == []
    # The lenient SBOM's warnings are passed on (five, as in test_sbom_formats).
    assert len(where("sboms/nurse-call.json")) == 5
    inventory_rows = sorted((p.place, p.message) for p in problems
                            if p.file == "inventory/assets.csv")
    assert [place for place, _ in inventory_rows] == [
        "row 5, column sbom", "row 6, column sbom", "row 7, column sbom"]
    portal, call, escape = (message for _, message in inventory_rows)
    assert portal == ("asset 'PORTAL' names SBOM 'portal/missing.cdx.json', which does not "
                      "exist in sboms/")
    assert call.endswith("SBOM paths are relative to sboms/: write 'nurse-call.json'")
    assert escape.startswith("SBOM path '../caresec.toml' is outside the sboms folder")
    assert len(problems) == 3 + 5 + 3


def test_no_sbom_folder(make_org: MakeOrg) -> None:
    org = make_org()
    Path(org.sbom_dir).rmdir()
    assert collect_sboms(org, ()) == ((), ())
    (org.inventory_dir / "assets.csv").write_text(
        "asset_id,name,kind,holds_ephi,criticality,sbom\n"
        "EHR,EHR,application,yes,clinical support,ehr.cdx.json\n", encoding="utf-8")
    assets, _ = collect_inventory(org)
    sboms, problems = collect_sboms(org, assets)
    assert sboms == ()
    assert [(p.file, p.place) for p in problems] == [
        ("sboms", ""), ("inventory/assets.csv", "row 2, column sbom")]
