"""Tests of waystation."""
