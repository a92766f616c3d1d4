from django.urls import path

from licenses import new_year_views, views

# Mounted under /school/<school_id>/beheer/licenties/; every view starts with the access helper.
urlpatterns = [
    path("groep/", views.licences_per_group, name="licences_per_group"),
    path("groep/<int:licence_id>/koppelen/", views.link_groups, name="licence_link_groups"),
    path("groep/<int:licence_id>/ontkoppelen/<int:group_id>/", views.unlink_group, name="licence_unlink_group"),
    path("kind/", views.licences_per_pupil, name="licences_per_pupil"),
    path("kind/<int:licence_id>/koppelen/", views.assign_seat, name="licence_assign_seat"),
    path("kind/<int:licence_id>/ontkoppelen/<int:pupil_id>/", views.release_seat, name="licence_release_seat"),
    path("logboek/", views.audit_log, name="audit_log"),
    path("nieuw-schooljaar/", new_year_views.new_school_year, name="licence_new_year"),
]
