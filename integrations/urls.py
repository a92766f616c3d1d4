from django.urls import path

from integrations import views

# Mounted under /school/<school_id>/beheer/resultaatkoppelingen/; every view starts with the access helper.
urlpatterns = [
    path("", views.links, name="resultlinks"),
    path("toevoegen/", views.link_add, name="resultlink_add"),
    path("<int:link_id>/status/", views.link_status, name="resultlink_status"),
    path("<int:link_id>/sleutel/", views.link_change_key, name="resultlink_change_key"),
    path("<int:link_id>/verwijderen/", views.link_remove, name="resultlink_remove"),
]
