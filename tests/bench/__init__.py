"""Benchmarks: scripts run by hand, not collected by pytest (see README.md)."""
