import os

from django.core.wsgi import get_wsgi_application

# Assigned, not setdefault: see manage.py.
os.environ["DJANGO_SETTINGS_MODULE"] = "devidp_site.settings"

application = get_wsgi_application()
