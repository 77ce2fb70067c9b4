from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("cases/", include("parties.urls")),
    path("cases/", include("rfis.urls")),
    path("rules/", include("screening.urls")),
    path("review/", include("review.urls")),
    path("", include("permits.urls")),
    path("rechecks/", include("rechecks.urls")),
    path("imports/", include("imports.urls")),
    path("search/", include("search.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy refuses inline ones.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]

# A database error raised outside a view (in a middleware) answers 503 too, not the 500 page.
handler500 = "config.middleware.server_error"
