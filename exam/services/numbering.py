"""Certificate numbers: VIP-L4-2026-000123-K, the last character an ISO/IEC 7064 MOD 37,36 check.

MOD 37,36 detects every single-character substitution and every adjacent transposition.
"""
from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMBER_RE = re.compile(r"^VIP-(L[1-4])-(\d{4})-(\d{6})-([0-9A-Z])$")


def check_character(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 over the alphanumeric characters of ``payload``."""
    m = 36
    p = m
    for ch in payload:
        if ch == "-":
            continue
        s = (p % (m + 1)) + ALPHABET.index(ch)
        s %= m
        p = (s or m) * 2
    return ALPHABET[(m + 1 - p % (m + 1)) % m]


def format_number(level: str, year: int, serial: int) -> str:
    payload = f"VIP-{level}-{year:04d}-{serial:06d}"
    return f"{payload}-{check_character(payload)}"


def is_valid_number(number: str) -> bool:
    number = number.strip().upper()
    if not NUMBER_RE.match(number):
        return False
    payload, check = number[:-2], number[-1]
    return check_character(payload) == check


def parse_serial(number: str) -> int:
    m = NUMBER_RE.match(number)
    if not m:
        raise ValueError(number)
    return int(m.group(3))
