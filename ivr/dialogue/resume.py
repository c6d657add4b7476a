"""FlowBot taking a caller back from an agent: say why, restore the hand-off context, continue.

How this works: the session passes `CallInfo.resume` ({mode, context, notes}, see ivr.returning). The
bot restores language, intent, details and answers tried from the stored hand-off context, keeps the
agent's disposition notes in `vars.agent_notes` (a flow can use them), says why the caller is back
(`back_declined` when the agent could not take the call, else `back_from_agent`) and continues at the
intent's own step, else at the last step where the bot waited for the caller before the hand-off,
else at the flow's start.
"""

from __future__ import annotations

from typing import Any

from ivr.bot import Action, CallInfo
from ivr.dialogue.schema import AskStep, CollectStep, MenuStep
from ivr.dialogue.text import is_chinese

_DEFAULT_TOPIC = {"en": "your request", "zh": "您的业务"}


def resume(bot: Any, call: CallInfo) -> list[Action]:
    """The actions that greet a returning caller and pick their case up."""
    info = dict(call.resume or {})
    ctx = dict(info.get("context") or {})
    if ctx.get("language") in bot.spec.languages:
        bot.language = ctx["language"]
    if ctx.get("intent"):
        bot.intent, bot.intent_score = ctx["intent"], ctx.get("intent_score")
    bot.slots.update(ctx.get("slots") or {})
    bot.answers_tried = list(ctx.get("answers_tried") or [])
    bot.vars["agent_notes"] = " ".join(info.get("notes") or [])
    bot.vars["returned"] = info.get("mode") or "self-service"
    key = "back_declined" if info.get("mode") == "declined" else "back_from_agent"
    why = bot._say(bot._msg(key, topic=_topic(bot)))
    return [why, *bot._enter(_continue_at(bot.spec, ctx))]


def _topic(bot: Any) -> str:
    """ "your refund": the intent's title addressed to the caller, or a neutral phrase."""
    zh = is_chinese(bot.language)
    own = bot.spec.intents.get(bot.intent) if bot.intent else None
    title = (own.title or {}).get(bot.language) if own is not None else None
    if not title:
        return _DEFAULT_TOPIC["zh" if zh else "en"]
    if zh:
        return title
    words = title.split()
    if words and words[0] in ("a", "an", "their", "the"):
        return " ".join(["your", *words[1:]])
    return _DEFAULT_TOPIC["en"] if words and words[0] == "to" else title


def _continue_at(spec: Any, ctx: dict[str, Any]) -> str:
    """The intent's step, else the last waiting step before the hand-off, else the start."""
    own = spec.intents.get(ctx.get("intent")) if ctx.get("intent") else None
    if own is not None and own.goto in spec.steps:
        return own.goto
    for name in reversed(list(ctx.get("steps") or [])):
        if isinstance(spec.steps.get(name), AskStep | MenuStep | CollectStep):
            return name
    return spec.start
