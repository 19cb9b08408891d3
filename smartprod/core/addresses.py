"""Postal addresses: split a one-line street into street name and building number.

SEPA credit transfers carry structured addresses (pain.001.001.09 `StrtNm` ≤ 70, `BldgNb` ≤ 16); banks
reject unstructured ones from November 2026. Old data holds "Mariahilfer Straße 12/3/4" in one field; this
splits the usual Austrian and German forms and says when it could not (the person completes it then).
"""

from __future__ import annotations

import re

STREET_MAX = 70
BUILDING_NUMBER_MAX = 16

# A building number: digits with an optional letter ("5a", "5 a"), then ranges and Austrian staircase / door
# parts ("2-4", "12/3/4", "12/Stiege 3/Top 4", "7 Top 2"). It ends the line (German/Austrian order).
_PART = r"\d+(?:\s?[a-zA-Z])?"
_SEPARATOR = r"(?:\s*[-–/]\s*|\s+)"
_LABEL = r"(?:(?:Stiege|Stg\.?|Top|Tür|Whg\.?)\s*)"
_NUMBER = rf"{_PART}(?:{_SEPARATOR}{_LABEL}?{_PART})*"
_TRAILING = re.compile(rf"^(?P<street>.*?[^\s,])[\s,]+(?P<number>{_NUMBER})$")
# Not a street at all: a post office box or "poste restante" has no street and building number.
_NOT_A_STREET = re.compile(r"^\s*(?:postfach|pf\.?\s|postlagernd|p\.?\s?o\.?\s?box)", re.IGNORECASE)


def split_street(text: str) -> tuple[str, str, bool]:
    """(street, building number, ok). Not ok: the whole text stays in street, for a person to complete.

    >>> split_street("Mariahilfer Straße 12/3/4")
    ('Mariahilfer Straße', '12/3/4', True)
    >>> split_street("Postfach 12")
    ('Postfach 12', '', False)
    """
    line = " ".join(text.split())
    if not line:
        return "", "", False
    if _NOT_A_STREET.match(line):
        return line, "", False
    match = _TRAILING.match(line)
    if match is None:
        return line, "", False
    street, number = match.group("street"), match.group("number")
    # The street's name must be a name (not "12 34"), and both parts must fit the SEPA fields.
    if not re.search(r"[^\W\d_]", street) or len(street) > STREET_MAX or len(number) > BUILDING_NUMBER_MAX:
        return line, "", False
    return street, number, True
