"""The Whisper decoder prompt built from recogniser hints."""

from __future__ import annotations

from asr.whisper_engine import MAX_PROMPT_CHARS, hint_prompt


def test_no_hints_no_prompt() -> None:
    assert hint_prompt(None) is None
    assert hint_prompt([]) is None
    assert hint_prompt(["  ", ""]) is None


def test_hints_are_listed_in_order_after_a_short_context() -> None:
    assert hint_prompt(["yes", "no", "balance"]) == "Telephone hotline. yes, no, balance."


def test_the_most_important_hints_are_kept_when_there_are_too_many() -> None:
    hints = [f"phrase number {i}" for i in range(200)]
    prompt = hint_prompt(hints)
    assert prompt is not None and len(prompt) <= MAX_PROMPT_CHARS + len("Telephone hotline. .")
    assert "phrase number 0," in prompt and "phrase number 199" not in prompt
