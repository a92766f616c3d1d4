"""The development identity provider, end to end and from outside: a complete authorization-code
flow with PKCE and a nonce against the running IdP (its own process, a throwaway feed), the ID
token verified against the published key set with PyJWT, and each ``DEVIDP_TAMPER`` value
making that same verification fail for the expected reason. The checks are in
``tests/devidp_selfcheck.py``."""

from __future__ import annotations

from tests import devidp_selfcheck


def test_the_development_idp_issues_verifiable_tokens_and_every_tamper_is_caught(capsys):
    devidp_selfcheck.main()
    assert "all checks passed" in capsys.readouterr().out
