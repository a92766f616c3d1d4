from django.urls import path

from portal import views

# School-scoped like roster.urls: every view starts with roster.access.school_for_request.
urlpatterns = [
    path("", views.start_page, name="school_start"),
    path("beheer/", views.beheer_home, name="beheer_home"),
]
