from django.conf import settings

from roster.access import schools_for_request


def product(request):
    return {
        "HELPDESK_PHONE": settings.HELPDESK_PHONE,
        "HELPDESK_EMAIL": settings.HELPDESK_EMAIL,
        # A callable, so the query runs only on pages whose top bar asks (those inside a school).
        "has_other_schools": lambda: len(schools_for_request(request)) > 1,
    }
