from django.urls import path, register_converter

from selfcare.portal import self_service, views


class ApplicationNumberConverter:
    """申込番号 as issued (YYMMDD-XXXXXXXX); anything else is simply not found."""

    regex = r"[0-9]{6}-[0-9A-Z]{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ApplicationNumberConverter, "application_number")


class NumberConverter:
    """A 050 number as stored (11 digits)."""

    regex = r"050[0-9]{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NumberConverter, "number")

app_name = "portal"

urlpatterns = [
    path("", views.root_view, name="root"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/resend/", views.resend_view, name="resend"),
    path("login/forgotten/", views.password_forgotten_view, name="password_forgotten"),
    path("login/forgotten/sent/", views.password_forgotten_sent_view, name="password_forgotten_sent"),
    path("logout/", views.logout_view, name="logout"),
    path("menu/", views.menu_view, name="menu"),
    path("numbers/", views.numbers_view, name="numbers"),
    path("numbers/add/", views.add_input_view, name="add_input"),
    path("numbers/add/confirm/", views.add_confirm_view, name="add_confirm"),
    path("numbers/add/execute/", views.add_execute_view, name="add_execute"),
    path("applications/", views.applications_view, name="applications"),
    path("applications/<application_number:application_number>/", views.application_view, name="application"),
    path("password/", views.password_view, name="password"),
    # Self-service (selfcare/portal/self_service.py): each sensitive change is confirmed with a fresh e-mailed code.
    path("confirm/<str:token>/", self_service.confirm_view, name="confirm"),
    path("confirm/<str:token>/resend/", self_service.confirm_resend_view, name="confirm_resend"),
    path("api-keys/", self_service.api_keys_view, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", self_service.api_key_revoke_view, name="api_key_revoke"),
    path("webhooks/", self_service.webhooks_view, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", self_service.webhook_view, name="webhook"),
    path("webhooks/<int:endpoint_id>/remove/", self_service.webhook_remove_view, name="webhook_remove"),
    path("webhooks/<int:endpoint_id>/rotate/", self_service.webhook_rotate_view, name="webhook_rotate"),
    path("numbers/csv/", self_service.numbers_csv_view, name="numbers_csv"),
    path("numbers/<number:number>/sip-password/", self_service.sip_password_view, name="sip_password"),
]
