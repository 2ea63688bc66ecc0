from django.urls import path, register_converter

from selfcare.portal import views


class ApplicationNumberConverter:
    """申込番号 as issued (YYMMDD-XXXXXXXX); anything else is simply not found."""

    regex = r"[0-9]{6}-[0-9A-Z]{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ApplicationNumberConverter, "application_number")

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
]
