"""Dialogue manager: understanding (text, intents, slots, sentiment, knowledge) and the call-flow engine."""
