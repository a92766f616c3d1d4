"""Tests of the demo app (docs/TESTING.md: which test goes where)."""
