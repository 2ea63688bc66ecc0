"""The audit log and its CSV export."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from selfcare.audit.models import AuditEntry
from selfcare.backoffice.admin.base import IndexedSearchMixin, ReadOnlyMixin, StaffAdminMixin, StaffMedia, audit_action
from selfcare.backoffice.audit_detail import detail_html, detail_text, target_text
from selfcare.backoffice.audit_labels import ACTION_LABELS, action_label
from selfcare.backoffice.search import audit_found
from selfcare.core.csv_cells import csv_writer

# Audit log ------------------------------------------------------------------------------------

CSV_HEADERS = [
    _("when"),
    _("actor kind"),
    _("actor name"),
    _("from"),
    _("action"),
    _("action code"),
    _("Self-care ID"),
    _("target"),
    _("detail"),
]


class AuditActionFilter(admin.SimpleListFilter):
    """The actions by their labels; the query string keeps the stored code (``?action__exact=letter.posted``)."""

    title = _("action")
    parameter_name = "action__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(IndexedSearchMixin, StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["at", "actor_kind", "actor_label", "ip_address", audit_action, "customer", "target_display"]
    list_filter = [AuditActionFilter, "actor_kind", "at"]
    search_fields = ["actor_label", "action", "target", "customer__user__username"]
    list_select_related = ["customer__user"]
    actions = ["export_csv"]
    search_help_text = _(
        "A 050 number, an application number, a self-care ID, an e-mail address, a contract name, "
        "a staff user or an action."
    )

    change_form_template = "backoffice/auditentry_change_form.html"

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """An entry's page is titled by its time (the carrier's), who and what in words, not the stored code."""
        entry = self.get_object(request, object_id) if object_id else None
        if entry is not None:
            when = date_format(timezone.localtime(entry.at), "Y-m-d H:i:s")
            title = " ".join(
                part
                for part in (when, entry.actor_label, action_label(entry.action), target_text(entry.target))
                if part
            )
            extra_context = {"title": title, "subtitle": "", **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra_context)

    search_with = staticmethod(audit_found)

    @admin.action(description=_("Export the selected entries as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        """Read by people in Excel: a byte-order mark first (Excel then reads UTF-8, not Shift_JIS), headed in the
        staff member's language; times in the carrier's zone with their offset (+09:00), the action both in words
        and as its stored code, the target and the detail as the screen shows them."""
        buffer = io.StringIO()
        buffer.write("\ufeff")  # the byte-order mark, as in the billing export's Excel layout
        writer = csv_writer(buffer)
        writer.writerow([str(header) for header in CSV_HEADERS])
        for entry in queryset.select_related("customer__user").iterator():
            writer.writerow(
                [
                    timezone.localtime(entry.at).isoformat(timespec="seconds"),
                    entry.get_actor_kind_display(),
                    entry.actor_label,
                    entry.ip_address,
                    action_label(entry.action),
                    entry.action,
                    entry.customer.selfcare_id if entry.customer else "",
                    target_text(entry.target),
                    detail_text(entry.detail, entry.action),
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response

    # The entry's page: the action by its label, the target and the detail in words (as in the CSV).
    fields = (
        "at",
        "actor_kind",
        "actor_label",
        "actor_user",
        "ip_address",
        "action_label",
        "customer",
        "target_display",
        "detail_display",
    )
    readonly_fields = fields
    action_label = staticmethod(audit_action)

    @admin.display(description=_("target"), ordering="target")
    def target_display(self, entry: AuditEntry) -> str:
        return target_text(entry.target)

    @admin.display(description=_("detail"))
    def detail_display(self, entry: AuditEntry) -> SafeString:
        return audit_detail(entry)


@admin.display(description=_("detail"))
def audit_detail(entry: AuditEntry) -> SafeString:
    """The detail in the staff member's language, one ``label: value`` per line, never a secret."""
    return detail_html(entry.detail, entry.action)
