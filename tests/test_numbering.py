"""Certificate numbers: readable, carry level and year, and a check character that catches typos."""
from __future__ import annotations

from exam.services.numbering import ALPHABET, format_number, is_valid_number


def test_number_shows_level_and_year():
    number = format_number("L3", 2026, 42)
    assert number.startswith("VIP-L3-2026-000042-")
    assert is_valid_number(number)


def test_check_character_catches_every_single_character_typo():
    for serial in (1, 42, 999999):
        number = format_number("L4", 2026, serial)
        for i, ch in enumerate(number[:-1]):
            if ch == "-":
                continue
            for other in ALPHABET:
                if other != ch:
                    assert not is_valid_number(number[:i] + other + number[i + 1:]), (number, i, other)


def test_check_character_catches_adjacent_swaps():
    for serial in (12, 3456, 98765):
        number = format_number("L2", 2027, serial)
        for i in range(len(number) - 1):
            a, b = number[i], number[i + 1]
            if a != b and "-" not in (a, b):
                assert not is_valid_number(number[:i] + b + a + number[i + 2:])


def test_lower_case_and_surrounding_spaces_are_accepted():
    assert is_valid_number("  " + format_number("L1", 2026, 7).lower() + " ")
