"""Fake Asterisk for tests and `ivr call`: FastAGI, AudioSocket and AMI peers that act like the captures."""
