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
    """Refuse a query parameter given twice (the description allows one value), and answer a method an
    operation lacks with the API's problem instead of Django's bare 405."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        repeated = sorted(name for name, values in request.GET.lists() if len(values) > 1)
        if repeated:  # ?page=1&page=2: the description allows one value, so the request is refused, not guessed at
            errors = [
                {"loc": ["query", name[:50]], "type": "repeated", "msg": "Given more than once."} for name in repeated
            ]
            return own_problem(request, "invalid_request", errors=errors[:20])
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
