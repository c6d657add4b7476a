"""Call control for the agent desktop: the AMI actions that move a caller, kept out of the web layer.

The desktop reaches this through the `CallControl` Protocol (ivr/web/deps.py), so the web layer never
sends an AMI action or imports the AMI client; presence (queues/presence.py) and callbacks
(queues/callbacks.py) are the ACD's other AMI actions.
"""

from __future__ import annotations

from ivr.ami.client import AmiClient
from ivr.ami.errors import AmiClosedError, AmiTimeoutError

RETURN_CONTEXT, RETURN_EXTEN, RETURN_PRIORITY = "ivr-return", "s", "1"
RETURN_VARIABLE = "IVR_RETURN_MODE"


class CallControlError(Exception):
    """Asterisk did not answer or refused; the message says which, for the agent."""


class AmiCallControl:
    """Back to the bot over AMI: Setvar IVR_RETURN_MODE, then Redirect to the ivr-return context."""

    def __init__(self, ami: AmiClient) -> None:
        self._ami = ami

    async def return_to_bot(self, channel: str, mode: str) -> None:
        """Send the caller on `channel` back into the bot in `mode`; CallControlError if that failed."""
        try:
            await self._ami.send_action(
                "Setvar", {"Channel": channel, "Variable": RETURN_VARIABLE, "Value": mode}
            )
            reply = await self._ami.send_action(
                "Redirect",
                {
                    "Channel": channel,
                    "Context": RETURN_CONTEXT,
                    "Exten": RETURN_EXTEN,
                    "Priority": RETURN_PRIORITY,
                },
            )
        except (AmiTimeoutError, AmiClosedError) as exc:
            raise CallControlError(f"Asterisk did not answer: {exc}") from None
        if not reply.ok:
            raise CallControlError(f"Asterisk refused the redirect: {reply.message_text}")
