"""Which of the recogniser's hypotheses the dialogue acts on: the best one, unless an alternative is clear.

How this works
--------------
Whisper's beam search gives the best transcript and a few alternatives, each with its confidence
(exp of the average token log-probability). tiny.en on 8 kHz speech often puts a near miss first
("I'm so hungry right now") and what was said second ("I'm so angry right now"). The dialogue grades
each hypothesis at the step the call is on (`Grade`, given by FlowBot): ENDS_CALL (a goodbye), URGENT (a
strongly negative turn), CLEAR (a request for a person, the step's answer, a menu option, an intent over
`clear_intent`), WEAK (something matched, but not clearly) or NONE. `choose()` keeps the best
hypothesis unless it is below CLEAR and an alternative is CLEAR or URGENT, or it is CLEAR and an
alternative is URGENT ("my network has been down three days and I'm absolutely human" keeps the network
fault and hears the anger in "... absolutely fuming"), at no less than MIN_CONFIDENCE_RATIO of its
confidence: a CLEAR alternative that is much less likely is more often the
recogniser inventing words than hearing them, and the call is never ended on an alternative. The first
such alternative, in the recogniser's order, wins. Nothing here changes what is stored or
shown: that stays the best hypothesis.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

# Dev split end to end (444 turns, tests/bench/bench_dialogue.py): any ratio from 0.5 to 0.85 gives intent
# accuracy within 0.5 points of each other and the same false transfers; 0.75 keeps the stricter side.
MIN_CONFIDENCE_RATIO = 0.75


class Grade(enum.IntEnum):
    """How well the dialogue understands one hypothesis at the current step."""

    NONE = 0
    WEAK = 1
    CLEAR = 2  # a request: an intent, a knowledge answer, a person
    ANSWERED = 3  # the step's answer, thanks, or a pleased turn: kept when best, whatever the alternatives
    URGENT = 4  # strongly negative: a person at once
    ENDS_CALL = 5  # understood, and it ends the call: kept when best, never taken from an alternative


UNDERSTOOD = (
    Grade.CLEAR,
    Grade.ANSWERED,
    Grade.URGENT,
)  # what an alternative must be to win over a best below


def choose(
    hypotheses: Sequence[tuple[str, float]],
    grade: Callable[[str], Grade],
    urgent: Callable[[str], bool],
    min_ratio: float = MIN_CONFIDENCE_RATIO,
) -> int:
    """Index of the hypothesis (text, confidence) to act on; hypotheses[0] is the recogniser's best.

    `grade` is called lazily: for the alternatives only when the best one is not understood; beside a best
    that is a request, only the cheaper `urgent` (strongly negative or not) is asked of them.
    """
    if len(hypotheses) < 2:
        return 0
    best_text, best_confidence = hypotheses[0]
    best = grade(best_text)
    if best >= Grade.ANSWERED:
        return 0
    floor = best_confidence * min_ratio
    for index, (text, confidence) in enumerate(hypotheses[1:], start=1):
        if confidence < floor:
            continue
        if urgent(text) if best is Grade.CLEAR else grade(text) in UNDERSTOOD:
            return index
    return 0
