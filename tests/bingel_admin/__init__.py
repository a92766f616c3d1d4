"""Tests of the bingel_admin app (docs/TESTING.md: which test goes where)."""
