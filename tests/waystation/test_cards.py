"""Member cards: every forged, tampered, expired, revoked, wrong-key and wrong-version card is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from waystation import cards
from waystation.cards import CardStatus, CardVerifier, check_join_link, join_link_query, read_card, sign_card
from waystation.sealing import b64, unb64

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ISSUED = NOW - timedelta(days=30)
EXPIRES = NOW + timedelta(days=335)


@pytest.fixture(scope="module")
def keys():
    """Two active keys (an old one and the current one) and one central never published."""
    (old, old_pub), (new, new_pub), (rogue, _) = (cards.new_signing_key() for _ in range(3))
    return {"OLDK": (old, old_pub), "NEWK": (new, new_pub), "rogue": rogue}


def verifier(keys, revoked=lambda member_no, issued_at: False):
    return CardVerifier({"OLDK": keys["OLDK"][1], "NEWK": keys["NEWK"][1]}, revoked)


def card(keys, kid="NEWK", member="W12345ABCD", issued=ISSUED, expires=EXPIRES):
    return sign_card(keys[kid][0], kid, member, issued, expires)


def test_a_card_is_short_ascii_and_carries_no_personal_data(keys):
    text = card(keys)
    assert text.isascii() and len(text) <= 130 and text.startswith("WS1.NEWK.W12345ABCD.")
    assert read_card(text) == cards.Card("NEWK", "W12345ABCD", ISSUED, EXPIRES)


def test_valid_cards_of_every_active_key_are_accepted(keys):
    check = verifier(keys)
    for kid in ("OLDK", "NEWK"):
        result = check.check(card(keys, kid), NOW)
        assert result.valid and result.card.member_no == "W12345ABCD"


def test_every_flipped_byte_is_refused(keys):
    text = card(keys)
    check = verifier(keys)
    for i in range(len(text)):
        for flip in (0x01, 0x20):
            damaged = text[:i] + chr(ord(text[i]) ^ flip) + text[i + 1:]
            if damaged == text:
                continue
            assert not check.check(damaged, NOW).valid, f"byte {i} flipped with {flip:#x} was accepted"


def test_every_other_last_character_is_refused(keys):
    """The signature's last base64 character has spare bits: no other spelling of it is accepted."""
    text = card(keys)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for other in alphabet.replace(text[-1], ""):
        assert verifier(keys).check(text[:-1] + other, NOW).status is CardStatus.TAMPERED


def test_every_changed_signature_byte_is_tampered(keys):
    text = card(keys)
    body, _, signature = text.rpartition(".")
    raw = unb64(signature)
    for i in range(len(raw)):
        forged = f"{body}.{b64(raw[:i] + bytes([raw[i] ^ 0x80]) + raw[i + 1:])}"
        assert verifier(keys).check(forged, NOW).status is CardStatus.TAMPERED


@pytest.mark.parametrize("field, value", [("member", "W99999ZZZZ"), ("issued", ISSUED - timedelta(days=1)),
                                          ("expires", EXPIRES + timedelta(days=3650))])
def test_a_changed_field_under_the_old_signature_is_tampered(keys, field, value):
    original = card(keys)
    changed = card(keys, **{field: value})
    forged = changed.rpartition(".")[0] + "." + original.rpartition(".")[2]
    assert verifier(keys).check(forged, NOW).status is CardStatus.TAMPERED


def test_forged_with_a_key_central_never_published(keys):
    forged = sign_card(keys["rogue"], "NEWK", "W12345ABCD", ISSUED, EXPIRES)
    assert verifier(keys).check(forged, NOW).status is CardStatus.TAMPERED
    unknown = sign_card(keys["rogue"], "ROGU", "W12345ABCD", ISSUED, EXPIRES)
    assert verifier(keys).check(unknown, NOW).status is CardStatus.UNKNOWN_KEY


def test_retired_key_is_unknown(keys):
    only_new = CardVerifier({"NEWK": keys["NEWK"][1]})
    assert only_new.check(card(keys, "OLDK"), NOW).status is CardStatus.UNKNOWN_KEY


def test_expired_and_not_yet_valid(keys):
    assert verifier(keys).check(card(keys, expires=NOW - timedelta(minutes=1)), NOW).status is CardStatus.EXPIRED
    future = card(keys, issued=NOW + timedelta(hours=1))
    assert verifier(keys).check(future, NOW).status is CardStatus.NOT_YET_VALID


def test_revoked_member_and_replaced_card(keys):
    revoked_member = verifier(keys, lambda m, issued: m == "W12345ABCD")
    assert revoked_member.check(card(keys), NOW).status is CardStatus.REVOKED
    replaced_at = NOW - timedelta(days=1)
    replaced = verifier(keys, lambda m, issued: m == "W12345ABCD" and issued < replaced_at)
    assert replaced.check(card(keys), NOW).status is CardStatus.REVOKED
    assert replaced.check(card(keys, issued=replaced_at), NOW).valid


def test_wrong_version_and_not_a_card(keys):
    text = card(keys)
    assert verifier(keys).check("WS2" + text[3:], NOW).status is CardStatus.WRONG_VERSION
    assert verifier(keys).check("WS0" + text[3:], NOW).status is CardStatus.WRONG_VERSION
    for junk in ("", "hello", "https://example.org/x", "6901234567892", "WS1", "WS1.", text + "x" * 20,
                 "会员卡", "WS1.NEWK.W12345ABCD"):
        status = verifier(keys).check(junk, NOW).status
        assert status in (CardStatus.NOT_A_CARD, CardStatus.TAMPERED), junk
        assert status is not CardStatus.VALID


def test_join_links_are_signed_and_expire():
    query = dict(part.split("=") for part in join_link_query("k" * 64, "xh-xujiahui", NOW).split("&"))
    ok = dict(station="xh-xujiahui", minutes=query["t"], signature=query["h"], max_age=timedelta(minutes=10))
    assert check_join_link("k" * 64, now=NOW + timedelta(minutes=9), **ok)
    assert not check_join_link("k" * 64, now=NOW + timedelta(minutes=11), **ok)
    assert not check_join_link("x" * 64, now=NOW, **ok)
    assert not check_join_link("k" * 64, now=NOW, **{**ok, "station": "xh-longhua"})
    assert not check_join_link("k" * 64, now=NOW, **{**ok, "minutes": "zzzzzzzzz"})
