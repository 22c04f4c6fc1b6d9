"""Tests of kiosk."""
