"""Tests of the integrations app (docs/TESTING.md: which test goes where)."""
