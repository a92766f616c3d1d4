from django.urls import path

from roster import hold_views, login_code_views, views

# Every pattern here is school-scoped: its view starts with roster.access.school_for_request.
# The start page and Beheer home, which combine every app, are in portal.urls.
urlpatterns = [
    path("beheer/gegevens/", views.beheer_gegevens, name="beheer_gegevens"),
    path("beheer/groepen/", views.beheer_groepen, name="beheer_groepen"),
    path("beheer/groepen/<int:group_id>/", views.beheer_groep, name="beheer_groep"),
    path("beheer/ict-coordinatoren/", views.beheer_coordinatoren, name="beheer_coordinatoren"),
    path("beheer/leerkrachten/", views.beheer_leerkrachten, name="beheer_leerkrachten"),
    path("beheer/leerlingen/", views.beheer_leerlingen, name="beheer_leerlingen"),
    path("beheer/tegengehouden/<int:held_night_id>/", hold_views.held_night, name="held_night"),
    path("beheer/tegengehouden/<int:held_night_id>/verwerken/", hold_views.held_night_apply, name="held_night_apply"),
    path("beheer/tegengehouden/<int:held_night_id>/negeren/", hold_views.held_night_discard, name="held_night_discard"),
    path("groepen/<int:group_id>/inlogcodes/", login_code_views.group_codes, name="group_login_codes"),
    path(
        "groepen/<int:group_id>/inlogcodes/print/", login_code_views.group_codes_print, name="group_login_codes_print"
    ),
    path("groepen/<int:group_id>/inlogcodes/methode/", login_code_views.group_method, name="group_login_method"),
    path("groepen/<int:group_id>/inlogcodes/<int:pupil_id>/", login_code_views.pupil_code, name="pupil_login_code"),
]
