from django.urls import path

from roster import views

# Every pattern here is school-scoped: its view starts with roster.access.school_for_request.
urlpatterns = [
    path("", views.start_page, name="school_start"),
    path("beheer/", views.beheer_home, name="beheer_home"),
]
