"""Accounts are keyed on the provider's sub alone, and who someone is comes from the roster.

Logins go through panva's oidc-provider (not ours), which by default returns names and e-mail
only from UserInfo; what it says about people is deliberately not what the roster says."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, DEMO_TEACHER_COORDINATOR
from tests.certified_idp import PADDED_SUB, PEOPLE, SHARED_EMAIL, UNKNOWN_SUB, CertifiedBrowser

pytestmark = pytest.mark.live


def account_of(sub: str):
    return SocialAccount.objects.select_related("user").get(provider="basispoort", uid=sub)


def test_names_come_from_the_roster_even_when_the_provider_sends_them_only_from_userinfo(certified_sso):
    landing = certified_sso.login(PEOPLE["coordinator"].sub)
    assert landing.status_code == 200 and landing.url.endswith("/scholen/")
    assert f"Je bent nu ingelogd als {DEMO_COORDINATOR.full_name}." in landing.text
    assert f'<span class="topbar__person">{DEMO_COORDINATOR.full_name}</span>' in landing.text
    assert "ingelogd als user" not in landing.text
    # The UserInfo claims did arrive: the provider's "name" is not in the ID token.
    stored = account_of(PEOPLE["coordinator"].sub).extra_data
    assert "name" not in stored["id_token"] and stored["userinfo"]["name"] == "user"


def test_two_people_with_the_same_email_each_log_in_as_themselves(certified_sso, live_server):
    coordinator = certified_sso.login(PEOPLE["coordinator"].sub)
    teacher_browser = CertifiedBrowser(app=live_server.url, idp=certified_sso.idp)
    teacher = teacher_browser.login(PEOPLE["teacher"].sub)
    assert coordinator.status_code == 200 and teacher.status_code == 200, teacher.text[:500]
    assert "/3rdparty/signup/" not in " ".join(hop.headers.get("Location", "") for hop in teacher_browser.hops)
    assert f"Je bent nu ingelogd als {DEMO_TEACHER.full_name}." in teacher.text
    first, second = account_of(PEOPLE["coordinator"].sub), account_of(PEOPLE["teacher"].sub)
    assert first.user_id != second.user_id
    assert first.user.email == "" and second.user.email == ""
    assert not EmailAddress.objects.filter(email__iexact=SHARED_EMAIL).exists()
    assert "email" not in second.extra_data["userinfo"]


def test_a_person_without_email_logs_in(certified_sso):
    landing = certified_sso.login(PEOPLE["no_email"].sub)
    assert landing.status_code == 200 and "/school/" in landing.url
    assert f"Je bent nu ingelogd als {DEMO_TEACHER_COORDINATOR.full_name}." in landing.text


def test_a_superuser_sharing_the_email_stays_apart(certified_sso):
    superuser = get_user_model().objects.create_superuser("backoffice", SHARED_EMAIL, "sterk-wachtwoord-456")
    landing = certified_sso.login(PEOPLE["teacher"].sub)
    assert landing.status_code == 200 and "/school/" in landing.url
    account = account_of(PEOPLE["teacher"].sub)
    assert account.user_id != superuser.pk
    assert not SocialAccount.objects.filter(user=superuser).exists()
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.email == SHARED_EMAIL


def test_the_same_sub_finds_the_same_account_again(certified_sso, live_server):
    certified_sso.login(PEOPLE["teacher"].sub)
    again = CertifiedBrowser(app=live_server.url, idp=certified_sso.idp)
    again.login(PEOPLE["teacher"].sub)
    assert SocialAccount.objects.filter(uid=PEOPLE["teacher"].sub).count() == 1
    assert get_user_model().objects.filter(is_superuser=False).count() == 1


@pytest.mark.parametrize("sub", [UNKNOWN_SUB, PADDED_SUB])
def test_a_sub_that_is_not_exactly_a_roster_id_is_not_in_the_roster(certified_sso, sub):
    landing = certified_sso.login(sub)
    assert landing.status_code == 403
    assert "schooladministratie" in landing.text
    assert DEMO_COORDINATOR.full_name not in landing.text
    assert certified_sso.get("/scholen/").status_code == 302  # no school at all
