from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("staff/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("selfcare.portal.urls")),
]

handler400 = "selfcare.portal.error_views.bad_request"
