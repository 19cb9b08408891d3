"""Splitting a one-line street into street and building number (SEPA structured addresses)."""

from __future__ import annotations

import pytest

from smartprod.core.addresses import split_street


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mariahilfer Straße 12/3/4", ("Mariahilfer Straße", "12/3/4", True)),
        ("Hauptstr. 5a", ("Hauptstr.", "5a", True)),
        ("Am Hof 2-4", ("Am Hof", "2-4", True)),
        ("Straße des 17. Juni 135", ("Straße des 17. Juni", "135", True)),
        ("Hauptplatz 7 Top 2", ("Hauptplatz", "7 Top 2", True)),
        ("  Lindenstraße   4 ", ("Lindenstraße", "4", True)),
        ("Postfach 12", ("Postfach 12", "", False)),
        ("Straße ohne Nummer", ("Straße ohne Nummer", "", False)),
        ("12 34", ("12 34", "", False)),
        ("Neubaugasse 12/Stiege 3/Top 4", ("Neubaugasse 12/Stiege 3/Top 4", "", False)),  # > 16 characters
        ("", ("", "", False)),
    ],
)
def test_split_street(text, expected):
    assert split_street(text) == expected
