from django.urls import path

from selfcare.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.root_view, name="root"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/resend/", views.resend_view, name="resend"),
    path("logout/", views.logout_view, name="logout"),
    path("menu/", views.menu_view, name="menu"),
    path("numbers/", views.numbers_view, name="numbers"),
    path("numbers/add/", views.add_input_view, name="add_input"),
    path("numbers/add/confirm/", views.add_confirm_view, name="add_confirm"),
    path("numbers/add/execute/", views.add_execute_view, name="add_execute"),
    path("applications/", views.applications_view, name="applications"),
    path("applications/<str:application_number>/", views.application_view, name="application"),
    path("password/", views.password_view, name="password"),
]
