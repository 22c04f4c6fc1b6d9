"""Tests of station_admin."""
