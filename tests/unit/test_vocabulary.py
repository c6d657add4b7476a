"""One vocabulary: the transfer reasons every part writes, and one reading of a caller ID."""

from __future__ import annotations

import pytest

from ivr.admission import OVERLOAD_REASON
from ivr.dialogue.schema import REASONS
from ivr.metrics import _label
from ivr.vocabulary import TransferReason, identified_caller, known_caller, reason_key


def test_every_reason_a_flow_may_name_is_a_transfer_reason() -> None:
    assert set(REASONS) <= set(TransferReason)
    assert OVERLOAD_REASON == TransferReason.OVERLOAD


def test_a_reason_with_a_detail_reads_back_as_its_reason() -> None:
    stored = TransferReason.BOT_ERROR.with_detail("KeyError")
    assert stored == "bot-error: KeyError"
    assert reason_key(stored) == TransferReason.BOT_ERROR
    assert reason_key(TransferReason.KEYPAD_0) == "keypad-0"
    assert reason_key(None) == reason_key("") == ""
    assert _label(stored) == "bot-error" and _label(None) == "none"


@pytest.mark.parametrize("placeholder", [None, "", "unknown", "UNKNOWN", "<unknown>", " unknown "])
def test_asterisk_placeholders_are_no_caller_id(placeholder: str | None) -> None:
    assert known_caller(placeholder) is None
    assert identified_caller(placeholder) is None


@pytest.mark.parametrize("withheld", ["anonymous", "Restricted", "private"])
def test_a_withheld_number_is_shown_but_identifies_nobody(withheld: str) -> None:
    assert known_caller(withheld) == withheld
    assert identified_caller(withheld) is None


def test_a_number_is_kept_as_sent() -> None:
    assert known_caller("+82 10 1234") == identified_caller("+82 10 1234") == "+82 10 1234"
