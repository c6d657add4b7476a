"""Fake Asterisk for tests and `ivr call`: FastAGI, AudioSocket and AMI peers that behave like the captures."""
