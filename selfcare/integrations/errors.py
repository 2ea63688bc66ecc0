from django.utils.translation import gettext_lazy as _

from selfcare.core.errors import DomainError

# Using a key ---------------------------------------------------------------------------------------


class ApiKeyInvalid(DomainError):
    code = "api_key_invalid"
    message = _("Send a valid API key as 'Authorization: Bearer KEY'.")


class ApiKeyRevoked(DomainError):
    code = "api_key_revoked"
    message = _("This API key has been revoked.")


class ApiKeyExpired(DomainError):
    code = "api_key_expired"
    message = _("This API key expired on %(expired_at)s.")


class AddressNotAllowed(DomainError):
    code = "address_not_allowed"
    message = _("This API key may not be used from the address %(address)s.")


class ScopeMissing(DomainError):
    code = "insufficient_scope"
    message = _("This API key lacks the scope %(scope)s this request needs.")


class CustomerInactive(DomainError):
    code = "customer_inactive"
    message = _("The login of this contract is not active. Please contact the customer centre.")


class TooManyRequests(DomainError):
    code = "rate_limited"
    message = _("Too many requests with this API key. Please wait %(retry_after)d seconds.")


class TooManyFailures(DomainError):
    code = "too_many_failures"
    message = _("Too many requests with wrong API keys came from this address. Please wait %(retry_after)d seconds.")


# Making and revoking keys --------------------------------------------------------------------------


class ApiKeyNameMissing(DomainError):
    code = "api_key_name_missing"
    message = _("Give the key a name (at most %(maximum)d characters), such as the program that will use it.")


class ScopesMissing(DomainError):
    code = "scopes_missing"
    message = _("Choose at least one of the scopes: %(scopes)s.")


class BadExpiry(DomainError):
    code = "bad_expiry"
    message = _("A key's validity is a whole number of days from 1 to %(maximum)d, or none (no expiry).")


class BadNetwork(DomainError):
    code = "bad_network"
    message = _("'%(value)s' is not an IP address or network (such as 203.0.113.10 or 203.0.113.0/24).")


class TooManyKeys(DomainError):
    code = "too_many_keys"
    message = _("A contract may hold at most %(maximum)d API keys in use. Revoke one you no longer need first.")


class ApiKeyNotFound(DomainError):
    code = "api_key_not_found"
    message = _("No such API key.")


# Webhook endpoints -----------------------------------------------------------------------------------


class WebhookUrlRefused(DomainError):
    code = "webhook_url_refused"
    message = _("This address cannot receive webhooks: %(reason)s")


class EventsMissing(DomainError):
    code = "events_missing"
    message = _("Choose at least one event to send.")


class TooManyEndpoints(DomainError):
    code = "too_many_endpoints"
    message = _("A contract may register at most %(maximum)d webhook endpoints. Remove one first.")


class WebhookEndpointNotFound(DomainError):
    code = "webhook_endpoint_not_found"
    message = _("No such webhook endpoint.")
