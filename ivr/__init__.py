"""Hotline voicebot service: Asterisk edges, call sessions, storage, agent desktop, CLI."""
