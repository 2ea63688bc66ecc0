from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from selfcare.api.api import api
from selfcare.api.pages import problems_page
from selfcare.api.problems import own_problem


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return own_problem(request, "not_found")


urlpatterns = [
    path("problems", problems_page, name="api-problems"),
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", not_found),
]
