from django.apps import AppConfig


class DevIdpConfig(AppConfig):
    name = "devidp_site"
    verbose_name = "Ontwikkel-identiteitsprovider"
