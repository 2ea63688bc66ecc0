from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError


class IdempotencyKeyMissing(DomainError):
    code = "idempotency_key_missing"
    message = _("This request needs an Idempotency-Key header: a value of your choice, new for each new request.")


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    message = _("An Idempotency-Key is 1 to %(maximum)d visible ASCII characters (a UUID, for instance).")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = _(
        "This Idempotency-Key was already used for a different request. Send a new key for a new request; "
        "nothing was changed."
    )


class RequestInFlight(DomainError):
    code = "request_in_flight"
    message = _(
        "A request with this Idempotency-Key is still being processed. Send it again in a few seconds to "
        "receive its answer; it will not be carried out twice."
    )
