"""Tests of the roster app (docs/TESTING.md: which test goes where)."""
