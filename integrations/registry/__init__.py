"""Entitlements push to the Basispoort-style licence registry: who may use which product.

``protocol`` holds what both sides agree on (paths, digest, body check), ``client`` speaks it
over mutual TLS, ``entitlements`` computes our side from the database, ``sync`` decides what
to send and records it, ``changes`` collects the schools to push after a commit.
"""
