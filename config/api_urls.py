from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("screening.api_urls")),
    path("", include("review.api_urls")),
    path("", include("permits.api_urls")),
    path("", include("rfis.api_urls")),
]
