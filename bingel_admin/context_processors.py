from django.conf import settings


def product(request):
    return {
        "HELPDESK_PHONE": settings.HELPDESK_PHONE,
        "HELPDESK_EMAIL": settings.HELPDESK_EMAIL,
    }
