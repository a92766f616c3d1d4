from django.conf import settings

from roster.access import schools_for_request


def product(request):
    return {
        "HELPDESK_PHONE": settings.HELPDESK_PHONE,
        "HELPDESK_EMAIL": settings.HELPDESK_EMAIL,
        # A callable, so the query runs only on pages whose top bar asks (those inside a school).
        # Entree login configured: the top bar links to the person's own Entree links.
        "entree_enabled": settings.ENTREE_ENABLED,
        "has_other_schools": lambda: len(schools_for_request(request)) > 1,
    }
