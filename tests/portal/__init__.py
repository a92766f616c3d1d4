"""Tests of the portal app (docs/TESTING.md: which test goes where)."""
