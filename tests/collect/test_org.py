"""caresec.toml loading (collect/org.py); keys as documented in docs/org-folder.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.collect.org import load_org
from caresec.errors import ConfigError
from caresec.model import SizeTier


def write(root: Path, text: str) -> Path:
    root.mkdir(exist_ok=True)
    (root / "caresec.toml").write_text(text, encoding="utf-8")
    return root


def test_full_file_is_read(tmp_path: Path) -> None:
    root = write(tmp_path / "org", """
[organization]
name = "Riverside Community Hospital"
size_tier = "Large"

[paths]
inventory = "assets"
sboms = "vendor/sboms"

[settings]
fail_on = "high"
strict = true
max_age_days = 30
""")
    org = load_org(root)
    assert org.root == root.resolve()
    assert org.name == "Riverside Community Hospital"
    assert org.size_tier is SizeTier.LARGE
    assert org.inventory_dir == root.resolve() / "assets"
    assert org.sbom_dir == root.resolve() / "vendor" / "sboms"
    assert org.feeds_dir == root.resolve() / "feeds"  # default
    assert org.settings == (("fail_on", "high"), ("strict", "true"), ("max_age_days", "30"))


def test_defaults_when_paths_and_settings_absent(tmp_path: Path) -> None:
    root = write(tmp_path / "org", '[organization]\nname = "Clinic"\nsize_tier = "small"\n')
    org = load_org(root)
    assert (org.inventory_dir.name, org.sbom_dir.name, org.feeds_dir.name) == (
        "inventory", "sboms", "feeds")
    assert org.settings == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[organization]\nname = "X"\nsize_tier = "huge"\n',
         r"\[organization\] size_tier is 'huge', which is not valid; use one of small, medium, "
         r"large"),
        ('[organization]\nname = "X"\n', r"\[organization\] size_tier is missing"),
        ('[organization]\nsize_tier = "small"\n', r"\[organization\] name is missing or empty"),
        ('[organization]\nname = "  "\nsize_tier = "small"\n', r"name is missing or empty"),
        ('[settings]\nfail_on = "high"\n', r"the \[organization\] table is missing"),
        ('[organization]\nname = "X"\nsize_tier = "small"\n[paths]\ninventry = "inv"\n',
         r"unknown key 'inventry' in \[paths\]"),
        ('[organization]\nname = "X"\nsize_tier = "small"\n[paths]\nsboms = 3\n',
         r"\[paths\] sboms must be a non-empty string"),
        ('[organization]\nname = "X"\nsize_tier = "small"\n[report]\nx = 1\n',
         r"unknown key or table 'report'"),
        ('[organization]\nname = "X"\nsize_tier = "small"\nsize = 3\n',
         r"unknown key 'size' in \[organization\]"),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    root = write(tmp_path / "org", text)
    with pytest.raises(ConfigError, match=expected) as caught:
        load_org(root)
    assert str(root.resolve() / "caresec.toml") in caught.value.message


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    # Line 3 lacks the '=' between key and value; tomllib reports the column after the key.
    root = write(tmp_path / "org", '[organization]\nname = "X"\nsize_tier "small"\n')
    with pytest.raises(ConfigError, match=r"caresec\.toml is not valid TOML at line 3, column 11"):
        load_org(root)


def test_non_utf8_toml_names_byte(tmp_path: Path) -> None:
    root = tmp_path / "org"
    root.mkdir()
    data = '[organization]\nname = "Cl\u00ednica"\nsize_tier = "small"\n'.encode("latin-1")
    (root / "caresec.toml").write_bytes(data)
    with pytest.raises(ConfigError, match=f"not valid UTF-8 \\(byte {data.index(0xED)}\\)"):
        load_org(root)


def test_missing_folder_and_file_hint_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_org(tmp_path / "nowhere")
    assert caught.value.hint is not None and "caresec init" in caught.value.hint
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"caresec\.toml not found") as caught:
        load_org(tmp_path / "empty")
    assert caught.value.hint is not None and "caresec init" in caught.value.hint
