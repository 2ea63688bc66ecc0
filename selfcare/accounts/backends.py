"""The authentication backend: Django's, loading the customer and its plan with the user.

Every portal page needs the customer (and most the plan); reading them in the same query as the
user saves one or two queries on every request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from selfcare.accounts.models import User


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("customer__plan").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
