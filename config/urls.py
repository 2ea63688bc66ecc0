from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache
from django.views.i18n import set_language

from selfcare.ops.views import metrics_view, readyz


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer's health check: the app server answers (no database, no session)."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("readyz/", readyz, name="readyz"),  # the database and the cache answer (docs/metrics-and-logs.md)
    path("metrics", metrics_view, name="metrics"),  # Prometheus' default path, from SELFCARE_METRICS_ALLOWED only
    path("staff/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include("selfcare.api.urls")),  # the business API (docs/api.md)
    path("", include("selfcare.portal.urls")),
]

handler400 = "selfcare.portal.error_views.bad_request"
handler403 = "selfcare.portal.error_views.permission_denied"
handler404 = "selfcare.portal.error_views.page_not_found"
handler500 = "selfcare.portal.error_views.server_error"
