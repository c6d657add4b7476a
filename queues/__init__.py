"""ACD: skill queues, routing, wait estimates, Asterisk queue config."""
