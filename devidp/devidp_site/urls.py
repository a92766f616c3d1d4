from django.urls import include, path

from devidp_site import views

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.login_view, name="login"),
    path("lesmateriaal/", views.lesmateriaal, name="lesmateriaal"),
    # Mounted at o/ so the issuer is <origin>/o, as the main app's settings expect.
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
