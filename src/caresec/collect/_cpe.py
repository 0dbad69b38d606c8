"""CPE names as CPE 2.3 formatted strings (NISTIR 7695, *CPE Naming Specification 2.3*).

SBOMs may give a CPE in the 2.3 formatted-string binding (``cpe:2.3:a:apache:log4j:2.14.1:*:…``)
or in the older 2.2 URI binding (``cpe:/a:apache:log4j:2.14.1``): CycloneDX ``component.cpe``
allows both, SPDX has ``cpe23Type`` and ``cpe22Type`` references. caresec keeps the 2.3 form
(:attr:`Component.cpe`), converting a URI by NISTIR 7695 §6.1.3 (unbind the URI into a
well-formed name) followed by §6.2.2 (bind it to a formatted string).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_ATTRIBUTES = 11  # part … other (NISTIR 7695 §5.3.3)
_FS_SPLIT = re.compile(r"(?<!\\):")
_FS_VALUE = re.compile(r"^(?:\*|-|(?:\\.|[^\\:])+)$")
_PARTS = frozenset({"a", "o", "h", "*", "-"})


def to_cpe23(text: str) -> str:
    """Return ``text`` as a CPE 2.3 formatted string.

    Args:
        text: a CPE 2.3 formatted string (returned unchanged once checked) or a CPE 2.2 URI.

    Raises:
        ValueError: neither binding, or the wrong number of attributes, or an unknown part.
    """
    value = text.strip()
    if value.lower().startswith("cpe:2.3:"):
        fields = _FS_SPLIT.split(value[len("cpe:2.3:"):])
        if len(fields) != _ATTRIBUTES or not all(_FS_VALUE.match(f) for f in fields):
            raise ValueError(f"{text!r} is not a CPE 2.3 formatted string (it needs 11 "
                             "attributes after 'cpe:2.3:')")
        if fields[0].lower() not in _PARTS:
            raise ValueError(f"{text!r} has part {fields[0]!r}; CPE parts are a, o and h")
        return value
    if value.lower().startswith("cpe:/"):
        return _uri_to_fs(value, text)
    raise ValueError(f"{text!r} is not a CPE name (expected 'cpe:2.3:…' or 'cpe:/…')")


def _uri_to_fs(value: str, original: str) -> str:
    # URI components are case-insensitive; the 2.3 dictionary spells names in lower case.
    components = value[len("cpe:/"):].lower().split(":")
    if len(components) > 7:
        raise ValueError(f"{original!r} has more than 7 components, too many for a CPE 2.2 URI")
    components += [""] * (7 - len(components))
    part, vendor, product, version, update, edition, language = components
    if part.lower() not in _PARTS - {"*", "-"} and part != "":
        raise ValueError(f"{original!r} has part {part!r}; CPE parts are a, o and h")
    # §6.1.3.3: a packed edition "~ed~sw_edition~target_sw~target_hw~other".
    if edition.startswith("~"):
        packed = edition[1:].split("~")
        if len(packed) != 5:
            raise ValueError(f"{original!r} has a packed edition without 5 fields")
        extended = packed
    else:
        extended = [edition, "", "", "", ""]
    # Formatted-string order (§6.2.2.1): part … update, edition, language, sw_edition,
    # target_sw, target_hw, other.
    values = [part, vendor, product, version, update, extended[0], language, *extended[1:]]
    return "cpe:2.3:" + ":".join(_fs_value(_wfn_value(v)) for v in values)


def _wfn_value(component: str) -> str | None:
    """NISTIR 7695 §6.1.3.2 decode: URI component → WFN value (None = ANY, "-" = NA)."""
    if component == "":
        return None
    if component == "-":
        return "-"
    result: list[str] = []
    index = 0
    while index < len(component):
        char = component[index]
        if char == "%":
            form = component[index:index + 3].lower()
            if form == "%01":
                result.append("?")
            elif form == "%02":
                result.append("*")
            else:
                decoded = unquote(form)
                if len(decoded) != 1 or decoded == form:
                    raise ValueError(f"bad percent-encoding {form!r} in CPE URI")
                result.append("\\" + decoded)
            index += 3
            continue
        result.append("\\" + char if not (char.isalnum() or char == "_") else char)
        index += 1
    return "".join(result)


def _fs_value(wfn: str | None) -> str:
    """NISTIR 7695 §6.2.2.2 bind_value_for_fs: WFN value → formatted-string value."""
    if wfn is None:
        return "*"
    if wfn == "-":
        return "-"
    result: list[str] = []
    index = 0
    while index < len(wfn):
        char = wfn[index]
        if char == "\\" and index + 1 < len(wfn):
            following = wfn[index + 1]
            result.append(following if following in ".-_" else "\\" + following)
            index += 2
            continue
        result.append(char)
        index += 1
    return "".join(result)
