"""Tests of the licenses app (docs/TESTING.md: which test goes where)."""
