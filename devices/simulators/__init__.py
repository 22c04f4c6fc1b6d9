"""Simulated station hardware for the demo and tests, driving the real device agents."""
