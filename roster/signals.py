"""Signals the roster sends to the layers above it, which subscribe without roster knowing them."""

from django.dispatch import Signal

# Sent inside the import's transaction for each school whose people or groups changed
# (``school_id``); receivers that act on it should do so after commit.
roster_changed = Signal()
