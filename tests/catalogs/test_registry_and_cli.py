"""catalogs/registry.py and the ``caresec catalog`` sub-app."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from typer.testing import CliRunner

from caresec.catalogs.registry import CATALOGS, as_json, list_catalogs, load
from caresec.cli.catalog import app
from caresec.errors import CatalogError

runner = CliRunner()


def test_every_registered_catalog_is_shipped() -> None:
    shipped = {
        p.name.removesuffix(".yaml")
        for p in files("caresec.catalogs").iterdir()
        if p.name.endswith(".yaml")
    }
    assert set(CATALOGS) <= shipped


def test_list_catalogs_headers() -> None:
    headers = list_catalogs()
    assert [h.catalog for h in headers] == list(CATALOGS)
    assert all(h.version and h.source for h in headers)


def test_load_is_cached_and_typed() -> None:
    assert load("hph-cpg") is load("hph-cpg")
    assert isinstance(load("hph-cpg"), CATALOGS["hph-cpg"].model)


def test_unknown_catalog() -> None:
    with pytest.raises(CatalogError):
        load("hipaa-privacy-rule")


def test_as_json_round_trips() -> None:
    data = json.loads(as_json("ocr-risk-analysis-elements"))
    assert data["catalog"] == "ocr-risk-analysis-elements"
    assert len(data["elements"]) == 9


def test_cli_list() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for name in ("hipaa-security-rule", "nist-csf-2.0", "question-bank"):
        assert name in result.output


def test_cli_show_json_lists_every_standard_and_specification() -> None:
    # 45 CFR 164.308-316: 22 standards + 46 implementation specifications.
    result = runner.invoke(app, ["show", "hipaa-security-rule", "--json"])
    assert result.exit_code == 0, result.output
    elements = json.loads(result.output)["elements"]
    assert len(elements) == 68
    assert all({"citation", "title", "status"} <= set(e) for e in elements)
    enc = next(e for e in elements if e["citation"] == "164.312(a)(2)(iv)")
    assert (enc["title"], enc["status"]) == ("Encryption and decryption", "addressable")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hipaa-security-rule", "164.312(a)(2)(iv)"),
        ("hipaa-security-rule-nprm", "proposed, not in force"),
        ("hph-cpg", "CPG-ENH-10"),
        ("nist-800-30", "--json"),
    ],
)
def test_cli_show_table(name: str, expected: str) -> None:
    result = runner.invoke(app, ["show", name], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_cli_show_unknown_is_a_usage_error() -> None:
    result = runner.invoke(app, ["show", "nope"])
    assert result.exit_code == 2
