"""Bases shared by ivr, the speech engines (asr, tts) and the ACD (queues); it imports none of them."""
