"""Name and address keys for the family / neighbour detector (USPS Publication 28 street
suffix and secondary unit abbreviations: STREET → ST, LOCK → LCK, APARTMENT/UNIT/SUITE/# →
unit); the vectorized form agrees with the scalar one."""

from __future__ import annotations

import pyarrow as pa
import pytest

from caresec.access.normalize import address_keys, address_keys_array, surname_key, surname_keys

CASES = [
    # (street, city, postal code) → (household, building)
    (("12 Main Street, Apt 4", "Riverside", "62701"),
     ("12 MAIN ST APT 4|62701", "12 MAIN ST|62701")),
    (("12 MAIN ST #4", "riverside", "62701-1234"), ("12 MAIN ST APT 4|62701", "12 MAIN ST|62701")),
    (("12 Main St. Unit 9", "", "62701"), ("12 MAIN ST APT 9|62701", "12 MAIN ST|62701")),
    (("784 Stamm Lock Unit 46", "Somerville", "02155"),
     ("784 STAMM LCK APT 46|02155", "784 STAMM LCK|02155")),
    (("1 North Oak Avenue", "Lakeview", ""), ("1 N OAK AVE|LAKEVIEW", "1 N OAK AVE|LAKEVIEW")),
    (("", "Riverside", "62701"), ("", "")),
]


@pytest.mark.parametrize(("address", "keys"), CASES)
def test_address_keys(address: tuple[str, str, str], keys: tuple[str, str]) -> None:
    assert address_keys(*address) == keys


def test_vectorized_address_keys_agree() -> None:
    streets, cities, zips = (pa.array([c[0][i] for c in CASES]) for i in range(3))
    households, buildings = address_keys_array(streets, cities, zips)
    assert list(zip(households.to_pylist(), buildings.to_pylist(), strict=True)) == [
        c[1] for c in CASES]


@pytest.mark.parametrize(("name", "family", "key"), [
    ("Maynard46 Mosciski958", "", "MOSCISKI"),  # Synthea appends digits to names
    ("Smith, John", "", "SMITH"),
    ("Ann Lee", "Park", "PARK"),
    ("Mary-Jo O'Neil", "", "ONEIL"),
    ("", "", ""),
])
def test_surname_key(name: str, family: str, key: str) -> None:
    assert surname_key(name, family) == key
    assert surname_keys(pa.array([name]), pa.array([family])).to_pylist() == [key]
