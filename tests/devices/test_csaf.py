"""collect/csaf.py: CSAF 2.0 advisories and ROLIE feeds, read from CISA's ICSMA files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from caresec.collect.csaf import collect_csaf, read_csaf, read_rolie_feed
from caresec.errors import InputError
from caresec.model import ProblemSeverity
from caresec.model.device import ProductStatus, RemediationCategory

pytestmark = pytest.mark.realdata


def test_dcmtk_advisory_product_tree_and_remediation(shared_data: Path) -> None:
    # ICSMA-22-174-01 (OFFIS DCMTK): one product "DCMTK" under vendor "OFFIS", version range
    # "< 3.6.7"; CVE-2022-2119/2120/2121; vendor fix "update to Version 3.6.7 or later",
    # https://support.dcmtk.org/redmine/issues/1021; CVSS 7.5 AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H.
    advisory = read_csaf(shared_data / "vuln/csaf-icsma/icsma-22-174-01.json")
    assert advisory.advisory_id == "ICSMA-22-174-01"
    assert advisory.category == "csaf_security_advisory"
    (product,) = advisory.products
    assert (product.vendor, product.product_name, product.version) == ("OFFIS", "DCMTK",
                                                                      "< 3.6.7")
    assert product.version_is_range
    assert [v.cve for v in advisory.vulnerabilities][:3] == [
        "CVE-2022-2119", "CVE-2022-2120", "CVE-2022-2121"]
    first = advisory.vulnerabilities[0]
    assert first.cwe_id == "CWE-22"
    assert first.products_with(ProductStatus.KNOWN_AFFECTED) == ("CSAFPID-0001",)
    (fix,) = first.remediations
    assert fix.category is RemediationCategory.VENDOR_FIX
    assert "3.6.7" in fix.details
    assert fix.url == "https://support.dcmtk.org/redmine/issues/1021"
    assert first.scores[0].vector == "CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert first.scores[0].base_score == 7.5
    assert advisory.exploitability.startswith("No known public exploits")
    assert advisory.current_release is not None and advisory.current_release.isoformat() \
        == "2022-06-23"


def test_mitigation_only_advisory_has_no_vendor_fix(shared_data: Path) -> None:
    # ICSMA-17-292-01 (Boston Scientific ZOOM LATITUDE PRM 3120, "vers:all/*"): the vendor
    # states it will not issue an update; only mitigations are given.
    advisory = read_csaf(shared_data / "vuln/csaf-icsma/icsma-17-292-01.json")
    categories = {r.category for v in advisory.vulnerabilities for r in v.remediations}
    assert categories == {RemediationCategory.MITIGATION}
    assert advisory.products[0].version == "vers:all/*"


def test_whole_icsma_folder_reads_without_errors(shared_data: Path) -> None:
    folder = shared_data / "vuln/csaf-icsma"
    advisories, problems = collect_csaf(folder, folder.parent)
    # 125 JSON files: 124 ICSMA advisories and the IT ROLIE feed, whose 4 entries (VA-24-…)
    # are not in the folder.
    assert len(advisories) == 124
    assert len(problems) == 4
    assert all(p.severity is ProblemSeverity.WARNING for p in problems)
    assert all("not present beside the feed" in p.message for p in problems)


def test_rolie_feed_reads_entries_present_beside_it(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "vuln/csaf-icsma"
    feed = json.loads((source / "cisa-csaf-it-feed-tlp-white.json").read_text("utf-8"))
    entry = dict(feed["feed"]["entry"][0])
    entry["content"] = {"src": "https://example.org/csaf/2022/icsma-22-174-01.json",
                        "type": "application/json"}
    feed["feed"]["entry"] = [entry, feed["feed"]["entry"][1]]
    (tmp_path / "feed.json").write_text(json.dumps(feed), "utf-8")
    shutil.copy(source / "icsma-22-174-01.json", tmp_path / "icsma-22-174-01.json")
    advisories, problems = read_rolie_feed(tmp_path / "feed.json")
    assert [a.advisory_id for a in advisories] == ["ICSMA-22-174-01"]
    assert [p.place for p in problems] == ["/feed/entry/1"]
    assert "va-24-262-01.json" in problems[0].message


@pytest.mark.parametrize(
    ("content", "place"),
    [
        ('{"document": {"csaf_version": "2.0", "tracking": {}}}', "/document/tracking/id"),
        ('{"document": {"title": "x"}}', "/document/csaf_version"),
        ('{"document": ', "line 1, column 14"),
    ],
)
def test_bad_csaf_names_the_place(tmp_path: Path, content: str, place: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, "utf-8")
    with pytest.raises(InputError) as error:
        read_csaf(path)
    assert error.value.place == place
