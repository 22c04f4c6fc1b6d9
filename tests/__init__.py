"""Waystation's tests: real brokers, real databases, real browsers."""
