import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.lib.rf import (
    rf_compact,
    rf_find_in_text,
    rf_format,
    rf_is_valid,
    rf_reference,
    rf_reference_for_invoice,
)


def _independent_check_digits(payload: str) -> str:
    """ISO 11649 by hand: move RF00 to the end, letters → 10..35, check = 98 − (number mod 97)."""
    digits = "".join(str(int(char, 36)) for char in payload + "RF00")
    return f"{98 - int(digits) % 97:02d}"


def test_rf_reference_standard_example_matches():
    # The example of ISO 11649 / python-stdnum: payload 539007547034 → RF18.
    assert rf_reference("539007547034") == "RF18539007547034"


def test_rf_reference_check_digits_match_independent_computation():
    for payload in ("1", "3X202600042", "ABCDEFGHIJKLMNOPQRSTU", "000000000000000000001"):
        assert rf_reference(payload) == f"RF{_independent_check_digits(payload)}{payload}"


def test_rf_reference_lower_case_payload_is_upper_cased():
    assert rf_reference("abc123") == rf_reference("ABC123")


@pytest.mark.parametrize("payload", ["", "2026-00042", "A" * 22, "Ä1", "12 34"])
def test_rf_reference_invalid_payload_raises(payload):
    with pytest.raises(ValueError, match="payload"):
        rf_reference(payload)


def test_rf_reference_for_invoice_uses_cooperative_and_number():
    # 3X202600042: "3" + "X" + 38 (=X) … → check digits 42, computed independently as well.
    assert _independent_check_digits("3X202600042") == "42"
    assert rf_reference_for_invoice(3, "2026-00042") == "RF423X202600042"


def test_rf_reference_for_invoice_differs_between_cooperatives():
    # Without the separator, coop 1 + "12026…" and coop 11 + "2026…" would collide.
    first = rf_reference_for_invoice(1, "12026-0001")
    second = rf_reference_for_invoice(11, "2026-0001")
    assert first != second
    assert rf_is_valid(first) and rf_is_valid(second)


def test_rf_reference_for_invoice_too_long_raises():
    with pytest.raises(ValueError, match="21"):
        rf_reference_for_invoice(123456, "2026-0000000000042")


@pytest.mark.parametrize("cooperative_id, number", [(0, "2026-1"), (-1, "2026-1"), (3, "--/")])
def test_rf_reference_for_invoice_bad_input_raises(cooperative_id, number):
    with pytest.raises(ValueError):
        rf_reference_for_invoice(cooperative_id, number)


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("RF18539007547034", True),
        ("RF18 5390 0754 7034", True),
        ("rf18 5390 0754 7034", True),
        ("RF17539007547034", False),  # wrong check digits
        ("RF18539007547035", False),  # typo in the payload
        ("RF18", False),
        ("XX18539007547034", False),
        ("RF18ÄÖÜ", False),
        ("", False),
    ],
)
def test_rf_is_valid_checks_format_and_digits(ref, expected):
    assert rf_is_valid(ref) is expected


def test_rf_compact_removes_spaces_and_upper_cases():
    assert rf_compact(" rf18 5390 0754 7034 ") == "RF18539007547034"


def test_rf_format_groups_of_four():
    assert rf_format("RF423X202600042") == "RF42 3X20 2600 042"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Zahlung RF18 5390 0754 7034 Rechnung 17", ["RF18539007547034"]),
        ("rf18539007547034", ["RF18539007547034"]),
        ("Ref:RF18539007547034,danke", ["RF18539007547034"]),
        ("RF18 539007547034 Miete", ["RF18539007547034"]),
        ("RF42 3X20 2600 042 2026", ["RF423X202600042"]),
        ("RF42 3X20 2600 042 und RF15 3X20 2600 043", ["RF423X202600042", "RF153X202600043"]),
        ("RF423X202600042 RF42 3X20 2600 042", ["RF423X202600042"]),
        ("RF17 5390 0754 7034 falsche Prüfziffer", []),
        ("Rechnung 2026-00042 ohne Referenz", []),
        ("", []),
    ],
)
def test_rf_find_in_text_returns_valid_compact_references(text, expected):
    assert rf_find_in_text(text) == expected


def test_rf_find_in_text_short_group_ends_reference():
    # "RF423X2026000421010" would also pass MOD 97, but the 3-character group "042" ends the
    # printed reference, so the following number is not read as part of it.
    assert rf_is_valid("RF423X2026000421010")
    assert rf_find_in_text("RF42 3X20 2600 042 1010") == ["RF423X202600042"]


def test_rf_find_in_text_ambiguous_end_returns_every_valid_cut_longest_first():
    # After a full group of four the reference may go on; "…70341046" happens to be valid too.
    assert rf_find_in_text("RF18 5390 0754 7034 1046") == ["RF185390075470341046", "RF18539007547034"]


def test_rf_find_in_text_long_word_after_groups_not_appended():
    # "…703410012" would pass MOD 97, but a 5-character token cannot be a group of four.
    assert rf_is_valid("RF1853900754703410012")
    assert rf_find_in_text("RF18 5390 0754 7034 10012") == ["RF18539007547034"]


def test_rf_find_in_text_reference_across_line_break_found():
    assert rf_find_in_text("Rechnung RF42 3X20\n2600 042") == ["RF423X202600042"]


@given(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=21))
def test_rf_reference_any_payload_is_valid_and_found_in_printed_form(payload):
    reference = rf_reference(payload)
    assert rf_is_valid(reference)
    assert reference.endswith(payload)
    # Longest valid cut first; a shorter one may follow where MOD 97 happens to accept it too.
    assert rf_find_in_text(f"Zahlung {rf_format(reference)} danke")[0] == reference
    assert rf_find_in_text(f"Zahlung {reference.lower()}") == [reference]
