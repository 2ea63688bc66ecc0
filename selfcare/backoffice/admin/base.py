"""Shared pieces of every staff list: the actor, junk-proof change lists, read-only and audited admins."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import DataError, connection, models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from selfcare.audit.models import AuditEntry
from selfcare.audit.services import Actor, audit_record
from selfcare.backoffice.audit_labels import action_label
from selfcare.backoffice.names import permission_label, role_name
from selfcare.backoffice.search import MAX_WORDS, Found, Kind, recognise


def staff_actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user, request.META.get("REMOTE_ADDR"))  # type: ignore[arg-type]


def no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class StaffMedia:
    css = {"all": ["backoffice/staff.css"]}


# Junk in URLs and forms: refused with a message, never a 500 ------------------------------------


def _zoned(value: str) -> str:
    """Dates and times typed without a zone (comma-separated for __in and __range) as the carrier's local time."""
    parts = []
    for part in value.split(","):
        try:
            moment = parse_datetime(part.strip())
        except ValueError:  # well formed but no such day: the filter refuses it
            moment = None
        parts.append(part if moment is None or timezone.is_aware(moment) else timezone.make_aware(moment).isoformat())
    return ",".join(parts)


class CappedPaginator(Paginator):
    """Counts a list's rows up to ``CAP`` and no further: past that the list says "more than 10,000", and
    staff narrow it with a search or a filter. Counting ten million rows for a page of a hundred is what
    made the big lists slow; a count that stops at the cap reads at most that many index entries.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            # Only the ids: the page's joins (select_related) have no place in a count.
            return self.object_list.order_by().values("pk")[: self.CAP + 1].count()
        return len(self.object_list)

    @cached_property
    def num_pages(self) -> int:
        """Pages up to the cap: the 10,001st row is only there to tell that there are more."""
        return min(super().num_pages, -(-self.CAP // self.per_page))


class StaffChangeList(ChangeList):
    """A change list answers any query string with a page or Django's "invalid parameters" redirect.

    Django's admin does so for most bad lookups, but not for a year of the date drill-down the
    calendar cannot hold (9999 has no next year, 10**30 is no year), a time the database cannot
    store once moved to UTC (the year 1 on SQLite), or text PostgreSQL cannot take (NUL). A time
    typed without a zone is the carrier's local time, as in Django's own date links.
    """

    def get_filters_params(self, params: dict | None = None) -> dict:
        lookup_params = super().get_filters_params(params)
        for key, values in lookup_params.items():
            try:
                field = self.model._meta.get_field(key.split(LOOKUP_SEP)[0])
            except FieldDoesNotExist:
                continue
            if isinstance(field, models.DateTimeField):
                lookup_params[key] = [_zoned(value) for value in values]
        return lookup_params

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request: HttpRequest) -> None:
        try:
            super().get_results(request)
        except (OverflowError, DataError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        # The list shows "more than 10,000" and offers no action on "all of them" it could not count.
        self.search_note = getattr(request, "staff_search_note", "")
        self.result_count_capped = self.result_count > CappedPaginator.CAP
        self.result_count_cap = f"{CappedPaginator.CAP:,}"


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows (roles, permissions) where an id outside its column's range is no choice.

    Django's own field asks the database about such an id, and SQLite cannot even hold one: a 500.
    """

    def _check_values(self, value: Any) -> QuerySet:
        pk = self.queryset.model._meta.pk if self.queryset is not None else None
        if self.to_field_name is None and isinstance(pk, models.IntegerField):
            low, high = connection.ops.integer_field_range(pk.get_internal_type())
            for choice in value:
                try:
                    number = int(choice)
                except (TypeError, ValueError):
                    continue  # no number at all: Django's own check refuses it
                if not low <= number <= high:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": choice}
                    )
        return super()._check_values(value)  # type: ignore[misc]


class RoleChoiceField(StaffMultipleChoiceField):
    """Roles by their names in the staff member's language (the groups keep their English names)."""

    def label_from_instance(self, obj: Any) -> str:
        return role_name(obj.name)


class PermissionChoiceField(StaffMultipleChoiceField):
    """Permissions in words ("契約者: 閲覧"), not the English names ``migrate`` stored ("Can view customer")."""

    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


def shown_moment(value: Any) -> Any:
    """A date or time as the staff lists show it: the carrier's local time in the site's format (2026年12月2日17:15).

    Django's lists format what a column's method returns, but a read-only field on a detail page prints it
    as it is (``2026-12-02 08:15:35.836365+00:00``, in UTC); anything else passes through unchanged.
    """
    if isinstance(value, dt.datetime):
        return formats.localize(timezone.localtime(value) if timezone.is_aware(value) else value)
    if isinstance(value, dt.date):
        return formats.localize(value)
    return value


def _in_local_time(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)  # keeps what admin.display set (its label, ordering, boolean)
    def shown(*args: Any, **kwargs: Any) -> Any:
        return shown_moment(method(*args, **kwargs))

    shown.in_local_time = True  # type: ignore[attr-defined]
    return shown


class StaffAdminMixin:
    """Every model page of the back office: junk in the list's query string, an object's URL, an action's
    selection or a choice of several rows is refused with a message or "not found", never a 500.

    Every column or read-only field a method computes (``@admin.display``) that returns a date or time shows it
    in the carrier's local time, in the site's format, on the detail page as in the list."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if (
                callable(member)
                and not isinstance(member, type)
                and hasattr(member, "short_description")
                and not getattr(member, "in_local_time", False)
            ):
                setattr(cls, name, _in_local_time(member))

    paginator: ClassVar[type] = CappedPaginator
    show_full_result_count = False  # a second count, of the whole table, beside the filtered one

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return StaffChangeList

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = {Group: RoleChoiceField, Permission: PermissionChoiceField}
        kwargs.setdefault("form_class", choices.get(db_field.related_model, StaffMultipleChoiceField))
        if db_field.related_model is Permission and "queryset" not in kwargs:
            # What the staff site has pages for: no permissions of sessions, content types or the admin's log.
            # A proxy (the jobs page) by its own content type, where its permissions are, not its concrete model's.
            registered = ContentType.objects.get_for_models(
                *self.admin_site._registry,  # type: ignore[attr-defined]
                for_concrete_models=False,
            ).values()
            kwargs["queryset"] = Permission.objects.filter(content_type__in=registered)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        if "\x00" in object_id:  # no id holds NUL, and PostgreSQL cannot even compare text holding one
            return None
        return super().get_object(request, object_id, from_field)  # type: ignore[misc]

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        try:  # ids that cannot be this list's (typed into the form) select nothing
            queryset.filter(pk__in=request.POST.getlist(ACTION_CHECKBOX_NAME)).exists()
        except (ValueError, ValidationError, OverflowError):
            messages.warning(
                request,
                _("Items must be selected in order to perform actions on them. No items have been changed."),
            )
            return None
        # "All of them" is not offered on a list counted only up to its cap; a form that asks anyway is refused.
        if request.POST.get("select_across") == "1" and CappedPaginator(queryset, 1).count > CappedPaginator.CAP:
            messages.warning(
                request,
                _(
                    "This list has more than %(cap)s rows: select rows on a page, or narrow the list with a search "
                    "or a filter first. Nothing has been changed."
                )
                % {"cap": f"{CappedPaginator.CAP:,}"},
            )
            return None
        return super().response_action(request, queryset)  # type: ignore[misc]


class IndexedSearchMixin:
    """A list's search box: the term is recognised (a number, its start, an application number, an e-mail
    address, a word) and runs the query an index serves for it (selfcare.backoffice.search), not Django's
    case-insensitive contains-search of every search field, which reads every row of a big table."""

    search_help_text: ClassVar[Any] = _(
        "A 050 number (or its first digits), an application number, a self-care ID, an e-mail address "
        "or a contract name (or part of one)."
    )

    search_with: ClassVar[Callable[..., Found]]
    """The list's search in selfcare.backoffice.search: ``(queryset, term, *, emails) -> Found``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "search_with" not in dir(cls):
            raise TypeError(f"{cls.__name__} searches with IndexedSearchMixin but names no search_with")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        # Registered e-mail addresses are searched only for staff who may see customers (and so the addresses).
        emails = request.user.has_perm("accounts.view_customer")  # type: ignore[union-attr]
        term = recognise(search_term)
        found = type(self).search_with(queryset, term, emails=emails)
        # Shown with the rows it is about (StaffChangeList.search_note), never as a message: a message waits for
        # the next page rendered, which after an action's redirect, a CSV or a PDF is another page or the list
        # a second time.
        notes = [found.note] if found.note else []
        if term.kind is Kind.WORD and term.words_left_out:
            notes.insert(
                0,
                _("Only the first %(count)d words were searched for; left out: %(words)s.")
                % {"count": MAX_WORDS, "words": " ".join(term.words_left_out)},
            )
        request.staff_search_note = " ".join(notes)  # type: ignore[attr-defined]
        return found.queryset, False


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.display(description=_("action"), ordering="action")
def audit_action(entry: AuditEntry) -> str:
    return action_label(entry.action, entry.detail)


def _plain(value: Any) -> Any:
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)


class AuditedAdminMixin:
    """Plain admin edits (plans, staff accounts, roles) leave an audit entry beside Django's own log."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "created", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # What the form changed, for the audit entry (never a password or its hash).
        request._audit_changes = {  # type: ignore[attr-defined]
            name: _plain(form.cleaned_data.get(name))
            for name in form.changed_data
            if "password" not in name and name in form.cleaned_data
        }
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    @staticmethod
    def _audit(request: HttpRequest, obj: Any, verb: str, message: Any) -> None:
        detail = getattr(request, "_audit_changes", None) or {"change": str(message)}
        audit_record(
            actor=staff_actor(request),
            action=f"{obj._meta.model_name}.{verb}",
            target=str(getattr(obj, "code", None) or getattr(obj, "username", None) or obj)[:128],
            detail=detail,
        )
