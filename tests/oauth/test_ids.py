"""Identifiers and secrets."""
from __future__ import annotations

import re

import pytest

from plugin.oauth.ids import hash_secret, is_valid_id, new_id, new_secret, secret_matches


def test_new_id_is_26_lowercase_characters_of_mattermost_alphabet():
    for _ in range(200):
        value = new_id()
        assert re.fullmatch(r"[ybndrfg8ejkmcpqxot1uwisza345h769]{26}", value), value


def test_new_id_values_differ():
    assert len({new_id() for _ in range(1000)}) == 1000


def test_new_ids_are_valid_ids():
    assert all(is_valid_id(new_id()) for _ in range(100))


@pytest.mark.parametrize(
    "value",
    ["", "a" * 25, "a" * 27, "a" * 25 + "-", "a" * 25 + " ", "junk", None, 12345678901234567890123456],
)
def test_is_valid_id_rejects(value):
    assert not is_valid_id(value)


def test_is_valid_id_counts_bytes_and_accepts_unicode_letters_and_numbers():
    """Mattermost's IsValidId: len() is bytes, each rune a letter or number."""
    assert is_valid_id("é" * 13)  # 26 bytes
    assert not is_valid_id("é" * 26)  # 52 bytes
    assert is_valid_id("A" * 10 + "0" * 16)


def test_new_secret_has_256_bits_in_url_safe_text():
    value = new_secret()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    assert len({new_secret() for _ in range(1000)}) == 1000


def test_hash_secret_is_hex_sha256():
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_secret_matches_only_the_hashed_secret():
    stored = hash_secret("s3cret")
    assert secret_matches("s3cret", stored)
    assert not secret_matches("s3creT", stored)
    assert not secret_matches("", stored)
    assert not secret_matches("", hash_secret(""))
    assert not secret_matches("s3cret", "")
