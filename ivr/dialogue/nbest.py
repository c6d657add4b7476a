"""Which of the recogniser's hypotheses the dialogue acts on: the best one, unless an alternative is clear.

How this works
--------------
Whisper's beam search gives the best transcript and a few alternatives, each with its confidence
(exp of the average token log-probability). tiny.en on 8 kHz speech often puts a near miss first
("I'm so hungry right now") and what was said second ("I'm so angry right now"). The dialogue grades
each hypothesis at the step the call is on (`Grade`, given by FlowBot): CLEAR (a request for a person,
a strongly negative turn, the step's answer, a menu option, an intent over `clear_intent`), WEAK
(something matched, but not clearly) or NONE. `choose()` keeps the best hypothesis unless it is not
CLEAR and an alternative is, at no less than MIN_CONFIDENCE_RATIO of its confidence: a CLEAR
alternative that is much less likely is more often the recogniser inventing words than hearing them.
The first such alternative, in the recogniser's order, wins. Nothing here changes what is stored or
shown: that stays the best hypothesis.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

# Measured on the dev split (tests/bench/bench_dialogue.py): the right alternative to a near miss is
# typically at 0.8-0.95 of the best's confidence; alternatives below 0.75 were mostly invented words.
MIN_CONFIDENCE_RATIO = 0.75


class Grade(enum.IntEnum):
    """How well the dialogue understands one hypothesis at the current step."""

    NONE = 0
    WEAK = 1
    CLEAR = 2


def choose(
    hypotheses: Sequence[tuple[str, float]],
    grade: Callable[[str], Grade],
    min_ratio: float = MIN_CONFIDENCE_RATIO,
) -> int:
    """Index of the hypothesis (text, confidence) to act on; hypotheses[0] is the recogniser's best.

    `grade` is called lazily: not at all for the alternatives when the best one is CLEAR.
    """
    if len(hypotheses) < 2:
        return 0
    best_text, best_confidence = hypotheses[0]
    if grade(best_text) is Grade.CLEAR:
        return 0
    floor = best_confidence * min_ratio
    for index, (text, confidence) in enumerate(hypotheses[1:], start=1):
        if confidence >= floor and grade(text) is Grade.CLEAR:
            return index
    return 0
