"""End-to-end check of the development identity provider, run by the test suite
(``tests/demo/test_devidp_end_to_end.py``; it was ``devidp/selfcheck.py``, run by hand).

It writes a throwaway roster feed and data folder in a
temporary directory, starts the IdP on a free port and drives a complete authorization
code flow (PKCE S256, nonce) with ``requests``, verifying the ID token against the
published JWKS. It then restarts the IdP once per ``DEVIDP_TAMPER`` value and checks that
the same verification rejects the token for the expected reason.

    .venv/bin/python -m pytest tests/demo/test_devidp_end_to_end.py
"""

import base64
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests

MANAGE = Path(__file__).resolve().parent.parent / "devidp" / "manage.py"
CLIENT_ID = "bingel-beheer-dev"
CLIENT_SECRET = "bingel-beheer-dev-secret"
# Nothing listens here: the flow reads the code from the Location header and never follows it.
REDIRECT_URI = "http://127.0.0.1:9/accounts/oidc/basispoort/login/callback/"
POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:9/"

SCHOOLS = {
    1001: {"naam": "De Regenboog", "brincode": "12AB", "dependancecode": "00"},
    1002: {"naam": "De Vlinder", "brincode": "34CD", "dependancecode": None},
}


def medewerker(pid, voornaam, voorvoegsel, achternaam, email, rollen, einddatum=None):
    return {
        "id": pid,
        "eckid": None,
        "lasKey": f"las-{pid}",
        "persoonsgegevens": {
            "achternaam": achternaam,
            "voornaam": voornaam,
            "voorvoegsel": voorvoegsel,
            "voorletters": voornaam[0] + ".",
        },
        "emailadres": email,
        "einddatum": einddatum,
        "rollen": rollen,
        "groepen": [],
        "subgroepen": [],
    }


STAFF = {
    1001: [
        medewerker(501, "Jan", "van", "Dijk", None, ["Leerkracht", "ICTCoordinator"]),
        medewerker(
            502,
            "Sanne",
            None,
            "Bakker",
            "sanne@regenboog.example",
            ["Leerkracht"],
            "2030-07-31",
        ),
    ],
    1002: [
        medewerker(501, "Jan", "van", "Dijk", "jan@vlinder.example", ["IBRTer"]),
        medewerker(503, "Emre", None, "Yilmaz", None, ["ICTCoordinator"]),
    ],
}


def write_feed(feed_dir: Path):
    (feed_dir / "instellingen").mkdir(parents=True)
    (feed_dir / "instellingen.json").write_text(json.dumps(list(SCHOOLS)))
    for school_id, details in SCHOOLS.items():
        (feed_dir / "instellingen" / str(school_id)).mkdir()
        (feed_dir / "instellingen" / str(school_id) / "details.json").write_text(json.dumps(details))
        school = {"medewerkers": STAFF[school_id], "leerlingen": [], "groepen": []}
        (feed_dir / "instellingen" / f"{school_id}.json").write_text(json.dumps(school))


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print(f"  ok  {message}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    subprocess.run([sys.executable, str(MANAGE), *args], env=env, check=True)


@contextmanager
def running_idp(env, log_path: Path):
    port = free_port()
    base = f"http://localhost:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                str(MANAGE),
                "runserver",
                f"localhost:{port}",
                "--noreload",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"IdP did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def log_in(session, base, *, next_url="", **fields):
    page = session.get(base + "/login/", params={"next": next_url} if next_url else None)
    data = {"csrfmiddlewaretoken": csrf_token(page.text), "next": next_url, **fields}
    return session.post(base + "/login/", data=data, allow_redirects=False)


def authorize_url(base, *, state, nonce, challenge):
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base}/o/authorize/?{urlencode(query)}"


def authorization_code(session, base, *, state, nonce, challenge):
    response = session.get(
        authorize_url(base, state=state, nonce=nonce, challenge=challenge),
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI, location
    params = parse_qs(location.query)
    assert params["state"] == [state], params
    return params["code"][0]


def token_request(discovery, code, verifier, secret=CLIENT_SECRET):
    return requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "code_verifier": verifier,
        },
    )


def verify_id_token(discovery, id_token):
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(id_token)
    return jwt.decode(
        id_token,
        signing_key.key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=discovery["issuer"],
    )


def sign_in_and_get_tokens(base, discovery, **login_fields):
    """Log in on a fresh session and run the code flow; return (session, nonce, tokens)."""
    session = requests.Session()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    verifier, challenge = pkce_pair()
    assert log_in(session, base, **login_fields).status_code == 302
    code = authorization_code(session, base, state=state, nonce=nonce, challenge=challenge)
    response = token_request(discovery, code, verifier)
    assert response.status_code == 200, response.text
    return session, nonce, response.json()


def check_normal(base, feed_dir: Path):
    discovery = requests.get(base + "/o/.well-known/openid-configuration").json()
    check(discovery["issuer"] == base + "/o", f"discovery issuer is {base}/o")
    check(
        discovery.get("end_session_endpoint") == base + "/o/logout/",
        "discovery lists end_session_endpoint",
    )
    check(
        "preferred_username" in discovery["claims_supported"],
        "discovery lists the claims",
    )

    session = requests.Session()
    page = session.get(base + "/login/")
    check(page.status_code == 200, "GET /login/ renders")
    check("devidp_csrftoken" in session.cookies, "CSRF cookie has its own name")
    check(
        re.findall(r'name="person" value="(\d+)"', page.text) == ["502", "501", "503"],
        "login page lists the three people, sorted by last name (Bakker, van Dijk, Yilmaz)",
    )
    check(
        "Leerkracht, Ict-coördinator — De Regenboog (12AB00)" in page.text
        and "IB&#x27;er/RT&#x27;er — De Vlinder (34CD)" in page.text,
        "a person in two schools shows the roles at each",
    )
    check(
        'name="manual_id"' in page.text and ">Inloggen</button>" in page.text,
        "manual id field and button",
    )

    rejected = session.post(base + "/login/", data={"person": "501"})
    check(rejected.status_code == 403, "login POST without CSRF token is refused")

    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    verifier, challenge = pkce_pair()
    url = authorize_url(base, state=state, nonce=nonce, challenge=challenge)
    bounce = session.get(url, allow_redirects=False)
    login_location = urlsplit(bounce.headers.get("Location", ""))
    check(
        bounce.status_code == 302 and login_location.path == "/login/",
        "authorize without a session redirects to the login page",
    )
    next_url = parse_qs(login_location.query)["next"][0]
    logged_in = log_in(session, base, next_url=next_url, person="501")
    check(
        logged_in.status_code == 302 and logged_in.headers["Location"] == next_url,
        "login POST redirects back to next",
    )
    check("devidp_sessionid" in session.cookies, "session cookie has its own name")
    code = authorization_code(session, base, state=state, nonce=nonce, challenge=challenge)
    check(bool(code), "authorize redirects to redirect_uri with code and state")

    check(
        token_request(discovery, code, verifier, secret="wrong").status_code == 401,
        "token endpoint refuses a wrong client secret",
    )
    response = token_request(discovery, code, verifier)
    check(
        response.status_code == 200,
        "token endpoint (client_secret_post) returns tokens",
    )
    tokens = response.json()
    claims = verify_id_token(discovery, tokens["id_token"])
    expected = {
        "sub": "501",
        "preferred_username": "501",
        "name": "Jan van Dijk",
        "given_name": "Jan",
        "family_name": "van Dijk",
        "email": "jan@vlinder.example",
        "nonce": nonce,
    }
    check(
        {key: claims.get(key) for key in expected} == expected,
        "ID token verifies against the JWKS (RS256, aud, iss); sub is the Basispoort id,"
        " names and e-mail come from the feed, nonce is echoed",
    )
    userinfo = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    check(
        userinfo.get("sub") == "501" and userinfo.get("email") == "jan@vlinder.example",
        "userinfo agrees",
    )
    check(
        token_request(discovery, code, verifier).status_code == 400,
        "a code cannot be used twice",
    )

    no_pkce = session.get(
        url.replace(f"&code_challenge={challenge}&code_challenge_method=S256", ""),
        allow_redirects=False,
    )
    check(
        parse_qs(urlsplit(no_pkce.headers.get("Location", "")).query).get("error") == ["invalid_request"],
        "authorize without PKCE is refused",
    )
    plain = session.get(
        url.replace(
            f"code_challenge={challenge}&code_challenge_method=S256",
            f"code_challenge={verifier}&code_challenge_method=plain",
        ),
        allow_redirects=False,
    )
    check(
        parse_qs(urlsplit(plain.headers.get("Location", "")).query).get("error") == ["invalid_request"],
        "authorize with the plain PKCE method is refused",
    )

    logout = session.get(
        discovery["end_session_endpoint"],
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
            "state": "bye",
        },
        allow_redirects=False,
    )
    check(
        logout.status_code == 302 and logout.headers["Location"] == POST_LOGOUT_REDIRECT_URI + "?state=bye",
        "RP-initiated logout redirects to post_logout_redirect_uri without prompting",
    )
    after = session.get(url, allow_redirects=False)
    check(
        urlsplit(after.headers.get("Location", "")).path == "/login/",
        "after logout the IdP session is gone",
    )

    _, manual_nonce, manual_tokens = sign_in_and_get_tokens(base, discovery, manual_id="999999")
    manual = verify_id_token(discovery, manual_tokens["id_token"])
    check(
        manual["sub"] == "999999" and manual["nonce"] == manual_nonce and "name" not in manual,
        "manual id 999999 (not in the feed) logs in with sub 999999 and no name claims",
    )

    unsafe = log_in(requests.Session(), base, next_url="http://evil.invalid/", person="502")
    check(unsafe.headers.get("Location") == "/", "an off-site next is ignored")
    bad = log_in(requests.Session(), base, manual_id="abc")
    check(
        bad.status_code == 400 and "alleen uit cijfers" in bad.text,
        "a non-numeric manual id is refused",
    )

    hidden = feed_dir.with_name("feed-hidden")
    feed_dir.rename(hidden)
    try:
        page = requests.get(base + "/login/")
        check(
            page.status_code == 200 and "Geen feed gevonden" in page.text and 'name="person"' not in page.text,
            "without a feed folder the page shows only the manual field and a note",
        )
    finally:
        hidden.rename(feed_dir)


EXPECTED_TAMPER_ERRORS = {
    "iss": jwt.InvalidIssuerError,
    "aud": jwt.InvalidAudienceError,
    "key": jwt.InvalidSignatureError,
}


def check_tampered(base, tamper):
    discovery = requests.get(base + "/o/.well-known/openid-configuration").json()
    _, _, tokens = sign_in_and_get_tokens(base, discovery, person="503")
    expected = EXPECTED_TAMPER_ERRORS[tamper]
    try:
        verify_id_token(discovery, tokens["id_token"])
    except jwt.PyJWTError as exc:
        check(
            type(exc) is expected,
            f"DEVIDP_TAMPER={tamper}: verification fails with {type(exc).__name__}: {exc}",
        )
    else:
        raise AssertionError(f"DEVIDP_TAMPER={tamper}: the ID token verified")
    if tamper == "key":
        published = {key["kid"] for key in requests.get(discovery["jwks_uri"]).json()["keys"]}
        check(
            jwt.get_unverified_header(tokens["id_token"])["kid"] in published,
            "  …while carrying the published kid",
        )


def main():
    with tempfile.TemporaryDirectory(prefix="devidp-selfcheck-") as tmp:
        tmp = Path(tmp)
        feed_dir = tmp / "feed"
        write_feed(feed_dir)
        env = {
            **os.environ,
            "DEVIDP_DATA_DIR": str(tmp / "data"),
            "DEVIDP_FEED_DIR": str(feed_dir),
            "DEVIDP_CLIENT_ID": CLIENT_ID,
            "DEVIDP_CLIENT_SECRET": CLIENT_SECRET,
            "DEVIDP_REDIRECT_URIS": REDIRECT_URI,
            "DEVIDP_POST_LOGOUT_REDIRECT_URIS": POST_LOGOUT_REDIRECT_URI,
            "DEVIDP_TAMPER": "",
        }
        # A first setup with another secret proves a rerun replaces the stored secret.
        manage({**env, "DEVIDP_CLIENT_SECRET": "stale-secret"}, "devidp_setup", "-v", "0")
        manage(env, "devidp_setup", "-v", "0")
        print("normal tokens")
        with running_idp(env, tmp / "server.log") as base:
            check_normal(base, feed_dir)
        for tamper in EXPECTED_TAMPER_ERRORS:
            print(f"DEVIDP_TAMPER={tamper}")
            with running_idp({**env, "DEVIDP_TAMPER": tamper}, tmp / f"server-{tamper}.log") as base:
                check_tampered(base, tamper)
    print("all checks passed")
