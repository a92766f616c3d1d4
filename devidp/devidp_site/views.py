import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from devidp_site.feed import load_roster
from devidp_site.forms import LoginForm


@require_GET
def index(request):
    return render(
        request,
        "devidp/index.html",
        {
            "discovery_url": request.build_absolute_uri(reverse("oauth2_provider:oidc-connect-discovery-info")),
            "client_id": settings.DEVIDP_CLIENT_ID,
            "feed_dir": settings.DEVIDP_FEED_DIR,
            "tamper": settings.DEVIDP_TAMPER,
        },
    )


def _user_for(basispoort_id, person):
    user, created = get_user_model().objects.get_or_create(username=basispoort_id)
    if created:
        user.set_unusable_password()
    if person is not None:
        user.first_name = person.first_name
        user.last_name = person.last_name
        user.email = person.email
    if created or person is not None:
        user.save()
    return user


def _safe_next(request, candidate):
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    roster = load_roster(settings.DEVIDP_FEED_DIR)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    status = 200
    if request.method == "POST":
        form = LoginForm(request.POST, roster=roster)
        if form.is_valid():
            basispoort_id = form.cleaned_data["basispoort_id"]
            auth_login(request, _user_for(basispoort_id, roster.get(basispoort_id)))
            return redirect(next_url or "index")
        status = 400
    else:
        form = LoginForm(roster=roster)
    featured = {basispoort_id: n for n, basispoort_id in enumerate(settings.DEVIDP_PERSONAS)}
    personas = sorted(
        (p for p in roster.people if str(p.basispoort_id) in featured), key=lambda p: featured[str(p.basispoort_id)]
    )
    return render(
        request,
        "devidp/login.html",
        {
            "form": form,
            "roster": roster,
            "personas": personas,
            "others": [p for p in roster.people if str(p.basispoort_id) not in featured],
            "feed_dir": settings.DEVIDP_FEED_DIR,
            "next": next_url,
            "selected": form.data.get("person", ""),
            "tamper": settings.DEVIDP_TAMPER,
        },
        status=status,
    )


def _tiles(basispoort_id):
    """The registry's tiles for this person, or (None, reason) when the registry cannot be read."""
    if not settings.DEVIDP_REGISTRY_URL:
        return None, "Er is geen licentieregister ingesteld (DEVIDP_REGISTRY_URL)."
    base = settings.DEVIDP_REGISTRY_URL.rstrip("/")
    try:
        response = requests.get(
            f"{base}/gebruikers/{int(basispoort_id)}/lesmateriaal",
            cert=settings.DEVIDP_REGISTRY_CLIENT_CERT or None,
            verify=settings.DEVIDP_REGISTRY_CA_BUNDLE or True,
            timeout=5,
        )
        response.raise_for_status()
        tiles = response.json()
    except (requests.RequestException, ValueError):
        return None, "Het licentieregister is nu niet bereikbaar."
    # One tile per method of a school, like the portal; its products are listed on it.
    methods = {}
    for item in tiles:
        url = str(item.get("url", ""))
        key = (item.get("instellingId"), item.get("methode", ""))
        tile = methods.setdefault(
            key,
            # Only web addresses become links; anything else the registry might hold is shown as text.
            {"methode": key[1], "link": url if url.startswith(("https://", "http://")) else "", "products": []},
        )
        tile["products"].append(f"{item.get('naam', '')} ({item.get('productsoort', '')})")
    return sorted(methods.values(), key=lambda t: t["methode"]), ""


@never_cache
@require_GET
@login_required
def lesmateriaal(request):
    """The portal's "Lesmateriaal" tab: a tile per product the licence registry grants this person."""
    tiles, problem = _tiles(request.user.username) if request.user.username.isdigit() else ([], "")
    person = load_roster(settings.DEVIDP_FEED_DIR).get(request.user.username)
    # As the portal does for an ICT coordinator: a tile into the publisher's administration.
    beheer = [
        {"school": a.school_name, "link": f"{settings.DEVIDP_APP_URL}/basispoort/{a.school_id}/beheer/"}
        for a in (person.appointments if person else [])
        if "ICTCoordinator" in a.roles and a.school_id is not None
    ]
    context = {"tiles": tiles or [], "beheer": beheer, "problem": problem}
    return render(request, "devidp/lesmateriaal.html", context)
