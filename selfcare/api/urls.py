import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt

from selfcare.api.api import api
from selfcare.api.pages import problems_page
from selfcare.api.problems import own_problem


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return own_problem(request, "not_found")


def problem_when_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a method an operation lacks with Django's bare 405: give the API's problem instead."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/html"):
            problem = own_problem(request, "method_not_allowed")
            if "Allow" in response:
                problem["Allow"] = response["Allow"]
            return problem
        return response

    return wrapped


_urls = api.urls  # built anew at each read: wrap the one this module serves
for _pattern in _urls[0]:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = problem_when_not_allowed(_pattern.callback)

urlpatterns = [
    path("problems", problems_page, name="api-problems"),
    path("", _urls),
    re_path(r"^(?P<rest>.*)$", not_found),
]
