"""Tests of the audit app (docs/TESTING.md: which test goes where)."""
