from django.conf import settings
from django.http import HttpRequest


def carrier(request: HttpRequest) -> dict[str, str]:
    return {"carrier_name": settings.SELFCARE_CARRIER_NAME, "support_phone": settings.SELFCARE_SUPPORT_PHONE}
