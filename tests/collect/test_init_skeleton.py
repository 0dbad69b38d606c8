"""`caresec init` skeleton (collect/init_skeleton.py): what it writes loads cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.collect.init_skeleton import write_org_skeleton
from caresec.collect.inventory import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, collect_inventory
from caresec.collect.org import load_org
from caresec.collect.sbom import collect_sboms
from caresec.errors import ConfigError
from caresec.model import AssetKind, ClinicalCriticality, NetworkZone, SizeTier


def test_skeleton_loads_without_problems(tmp_path: Path) -> None:
    root = tmp_path / "riverside"
    name = 'Riverside "Community" Hospital – Süd'  # quotes and non-ASCII survive TOML
    written = write_org_skeleton(root, name=name, size_tier=SizeTier.SMALL)
    assert [p.relative_to(root).as_posix() for p in written] == [
        "caresec.toml", "inventory/assets.csv", "inventory/README.md", "sboms/README.md",
        "feeds/README.md"]
    org = load_org(root)
    assert (org.name, org.size_tier) == (name, SizeTier.SMALL)
    assert (org.inventory_dir, org.sbom_dir, org.feeds_dir) == (
        root.resolve() / "inventory", root.resolve() / "sboms", root.resolve() / "feeds")
    assets, problems = collect_inventory(org)
    assert problems == ()
    assert len(assets) == 1
    example = assets[0]
    assert example.asset_id == "EXAMPLE-1" and example.name.startswith("EXAMPLE")
    assert example.kind is AssetKind.MEDICAL_DEVICE
    assert example.criticality is ClinicalCriticality.LIFE_SUSTAINING
    assert example.network_zone is NetworkZone.MEDICAL_DEVICE
    assert collect_sboms(org, assets) == ((), ())
    header = (root / "inventory" / "assets.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]


def test_readmes_explain_every_column_and_feed(tmp_path: Path) -> None:
    write_org_skeleton(tmp_path, name="Clinic", size_tier=SizeTier.MEDIUM)
    inventory_readme = (tmp_path / "inventory" / "README.md").read_text(encoding="utf-8")
    for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        assert f"`{column}`" in inventory_readme, column
    feeds_readme = (tmp_path / "feeds" / "README.md").read_text(encoding="utf-8")
    for item in ("`osv/`", "all.zip", "`kev.json`", "`epss.csv`"):
        assert item in feeds_readme
    toml = (tmp_path / "caresec.toml").read_text(encoding="utf-8")
    for key in ("name =", "size_tier =", "inventory =", "sboms =", "feeds =", "[settings]"):
        assert key in toml


def test_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "sboms").mkdir()
    (tmp_path / "sboms" / "README.md").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="refusing to overwrite existing file"):
        write_org_skeleton(tmp_path, name="Clinic", size_tier=SizeTier.LARGE)
    assert (tmp_path / "sboms" / "README.md").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "caresec.toml").exists()


def test_rejects_empty_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="name is empty"):
        write_org_skeleton(tmp_path, name="  ", size_tier=SizeTier.SMALL)
