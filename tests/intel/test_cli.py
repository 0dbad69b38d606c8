"""``caresec intel pull|match|export|push`` on a copy of the example hospital, against medallion
on 127.0.0.1. The copy's caresec.toml gets the [intel] table documented in docs/intel.md."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caresec.cli.intel import app
from caresec.intel.phi_gate import PhiGateError
from caresec.intel.stix_export import ExportError

from .conftest import EXAMPLES, PASSWORD, TRUSTGROUP, USER, WRITABLE, Taxii

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
C2 = "indicator--8feb42fa-e33e-48cb-9c97-92bdf0aa4c89"
ENV = {"ISAC_USER": USER, "ISAC_PASSWORD": PASSWORD}


@pytest.fixture
def org(tmp_path: Path, taxii_server: Taxii, shared_data: Path) -> Path:
    root = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".caresec"))
    toml = root / "caresec.toml"
    shipped = toml.read_text(encoding="utf-8")
    toml.write_text(shipped[:shipped.index("\n[intel]\n")], encoding="utf-8")  # replaced below
    with toml.open("a") as handle:
        handle.write(f"""
[intel]
default_tlp = "amber"
export_tlp = "green"
max_share_tlp = "amber"
warninglists_dir = "{shared_data / 'intel' / 'misp-warninglists'}"
warninglists = ["rfc1918", "public-dns-v4", "eicar.com", "empty-hashes", "url-shortener"]
mapping = "intel/logs/mapping.toml"
own_indicators = "intel/own-indicators.json"
incidents = "intel/incidents.toml"

[[intel.sources]]
name = "isac"
kind = "taxii"
url = "{taxii_server.url}taxii2/"
api_root = "{TRUSTGROUP}"
collection = "{EXAMPLES}"
username_env = "ISAC_USER"
password_env = "ISAC_PASSWORD"

[intel.push]
url = "{taxii_server.url}taxii2/"
api_root = "{TRUSTGROUP}"
collection = "{WRITABLE}"
username_env = "ISAC_USER"
password_env = "ISAC_PASSWORD"
""")
    return root


def test_pull_match_export_push(org: Path) -> None:
    runner = CliRunner()
    pulled = runner.invoke(app, ["pull", "--org", str(org)], env=ENV)
    assert pulled.exit_code == 0, pulled.output
    assert "isac" in pulled.output and "239" in pulled.output

    matched = runner.invoke(app, ["match", "--org", str(org), "--json"], env=ENV)
    assert matched.exit_code == 0, matched.output
    result = json.loads(matched.stdout)
    counts = {s["indicator_id"]: s["count"] for s in result["sightings"]}
    # the example's planted hits (examples/riverside-community-hospital/intel/README.md)
    assert counts == {
        C2: 3,  # firewall rows 59, 60, 133
        "indicator--4df4acaf-2030-4e9b-8cef-af3315b175d5": 3,  # 198.51.100.0/28: fw + 2 DNS
        "indicator--6ba92306-7653-45bd-9a45-7cc8a8cf3073": 3,  # lookalike domain: 2 DNS, proxy
        "indicator--543943a0-9e06-4f78-ac1b-bb4e8e39c2a7": 1,  # the lure URL
        "indicator--89f57fb8-9c88-40ae-8617-5e3177ff99e8": 1,  # the dropper on the EDR
        "indicator--9ef52bf2-99c8-4b7e-91fd-16dd291efc93": 1,  # port 8443 only (stix2-matcher)
    }
    [eicar] = result["suppressed"]
    assert eicar["warninglist"] == "List of hashes for EICAR test virus"
    assert result["lines"] == 1200
    # the one problem: poisonivy.json's "domain autuo.xicp.net" value (a space inside)
    assert [p["place"] for p in result["problems"]] == [
        "indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40"]

    out = org / "share.stix.json"
    exported = runner.invoke(app, ["export", "--org", str(org), "-o", str(out)], env=ENV)
    assert exported.exit_code == 0, exported.output
    assert "8 indicators, 6 sightings, 1 incident summaries" in exported.output
    text = out.read_text()
    assert "RCH-WS-" not in text and "10.20." not in text

    pushed = runner.invoke(app, ["push", str(out), "--org", str(org)], env=ENV)
    assert pushed.exit_code == 0, pushed.output
    assert "TAXII status complete" in pushed.output


def test_push_refuses_a_lowered_marking(org: Path) -> None:
    runner = CliRunner()
    out = org / "share.stix.json"
    assert runner.invoke(app, ["export", "--org", str(org), "-o", str(out)], env=ENV).exit_code \
        == 0
    bundle = json.loads(out.read_text())
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    for obj in bundle["objects"]:
        if obj["id"] == "indicator--89f57fb8-9c88-40ae-8617-5e3177ff99e8":  # AMBER in own bundle
            obj["object_marking_refs"] = [green]
    out.write_text(json.dumps(bundle))
    pushed = runner.invoke(app, ["push", str(out), "--org", str(org)], env=ENV)
    assert isinstance(pushed.exception, ExportError)
    assert "was received as TLP:AMBER and is marked TLP:GREEN" in str(pushed.exception)


def test_push_refuses_planted_phi(org: Path) -> None:
    runner = CliRunner()
    out = org / "share.stix.json"
    assert runner.invoke(app, ["export", "--org", str(org), "-o", str(out)], env=ENV).exit_code \
        == 0
    bundle = json.loads(out.read_text())
    incident = next(o for o in bundle["objects"] if o["type"] == "incident")
    incident["description"] = "Patient Maria Gonzalez (MRN: 00482913) answered the lure."
    out.write_text(json.dumps(bundle))
    pushed = runner.invoke(app, ["push", str(out), "--org", str(org)], env=ENV)
    assert isinstance(pushed.exception, PhiGateError)
    assert f"{incident['id']} /description: looks like PHI" in str(pushed.exception)


def test_missing_credentials_are_named(org: Path) -> None:
    pulled = CliRunner().invoke(app, ["pull", "--org", str(org)], env={"ISAC_USER": ""})
    assert "ISAC_USER" in str(pulled.exception)
