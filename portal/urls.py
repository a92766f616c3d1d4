from django.urls import path, register_converter

from portal import views


class DownloadFormat:
    """The two files of "Licentiegebruik downloaden"; any other suffix is 404."""

    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DownloadFormat, "download")

# School-scoped like roster.urls: every view starts with roster.access.school_for_request.
urlpatterns = [
    path("", views.start_page, name="school_start"),
    path("beheer/", views.beheer_home, name="beheer_home"),
    path("beheer/licentiegebruik.<download:fmt>", views.school_usage, name="school_usage"),
]

# Under /mijn-scholen/, not under one school: the views ask roster.access for the person's schools.
my_schools_patterns = [
    path("", views.my_schools, name="my_schools"),
    path("licentiegebruik.<download:fmt>", views.my_schools_usage, name="my_schools_usage"),
]
