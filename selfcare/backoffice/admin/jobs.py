"""Background jobs: what is queued, running and failed, with the error; a failed job can be run again (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from selfcare.backoffice.admin.base import ReadOnlyMixin, StaffAdminMixin, StaffMedia, staff_actor
from selfcare.core.errors import Busy
from selfcare.jobs.models import Job
from selfcare.jobs.registry import policy_of
from selfcare.jobs.services import JobNotFailed, job_retry

# The library registers its own page for the table; the staff site shows the proxy below instead.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)

JOB_LABELS = {
    "application_notice_send": _("E-mail: numbers added"),
    "password_changed_notice_send": _("E-mail: password changed"),
    "account_locked_notice_send": _("E-mail: logins paused"),
    "password_forgotten_notice_send": _("E-mail: new password letter on its way"),
    "sip_password_reissued_notice_send": _("E-mail: IP phone password reissued by the customer centre"),
    "registrations_drop": _("Registrar: drop phones after a password reissue"),
    "cancelled_registrations_drop": _("Registrar: drop phones of cancelled numbers"),
    "registrar_drop_cancelled": _("Daily: registrar clean-up of cancelled numbers"),
    "purge_posted_secrets": _("Daily: destroy passwords of posted letters"),
    "compact_pool_tally": _("Daily: sum the pool tally"),
    "jobs_prune": _("Daily: forget old finished jobs"),
    "webhook_deliver": _("Webhook: deliver an event to a customer's endpoint"),
    "number_cancelled_events": _("Every 10 minutes: webhooks of cancellations now in effect"),
    "purge_idempotency_keys": _("Hourly: forget idempotency keys older than 24 hours"),
}

STATUS_LABELS: dict[str, Any] = {
    TaskResultStatus.READY: _("waiting"),
    TaskResultStatus.RUNNING: _("running"),
    TaskResultStatus.SUCCESSFUL: _("done"),
    TaskResultStatus.FAILED: _("failed"),
}


class JobStatusFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "status__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(value), label) for value, label in STATUS_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() in STATUS_LABELS else queryset


@admin.register(Job)
class JobAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    Media = StaffMedia

    list_display = ["enqueued", "job", "state", "attempts", "next_attempt", "finished", "error"]
    list_filter = [JobStatusFilter]
    ordering = ["-enqueued_at"]
    actions = ["retry"]
    fields = ("job", "state", "attempts", "enqueued", "started", "next_attempt", "finished", "error", "trace")
    readonly_fields = fields

    @admin.display(description=_("enqueued"), ordering="enqueued_at")
    def enqueued(self, job: Job) -> Any:
        return job.enqueued_at

    @admin.display(description=_("last started"))
    def started(self, job: Job) -> Any:
        return job.started_at or "—"

    @admin.display(description=_("finished"), ordering="finished_at")
    def finished(self, job: Job) -> Any:
        return job.finished_at or "—"

    @admin.display(description=_("job"))
    def job(self, job: Job) -> str:
        name = job.task_path.rpartition(".")[2]
        return str(JOB_LABELS.get(name, name))

    @admin.display(description=_("state"), ordering="status")
    def state(self, job: Job) -> str:
        return str(STATUS_LABELS.get(job.status, job.status))

    @admin.display(description=_("attempts"))
    def attempts(self, job: Job) -> str:
        return f"{len(job.worker_ids)} / {policy_of(job.task_path).max_attempts}"

    @admin.display(description=_("next attempt"), ordering="run_after")
    def next_attempt(self, job: Job) -> Any:
        if job.status != TaskResultStatus.READY:
            return "—"
        return job.run_after if job.run_after != get_date_max() else job.enqueued_at

    @admin.display(description=_("last error"))
    def error(self, job: Job) -> str:
        return job.exception_class_path.rpartition(".")[2] or "—"

    @admin.display(description=_("error in full"))
    def trace(self, job: Job) -> str:
        return format_html("<pre class='job-trace'>{}</pre>", job.traceback) if job.traceback else "—"

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """A job's page is titled by what it does, in words (not "Job object (uuid)")."""
        job = self.get_object(request, object_id) if object_id else None
        if job is not None:
            extra_context = {**(extra_context or {}), "title": self.job(job), "subtitle": str(job.pk)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jobs.retry_job")

    @admin.action(description=_("Run the selected failed jobs again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for job in queryset.only("id"):
            try:
                job_retry(job_id=str(job.pk), actor=staff_actor(request))
            except (JobNotFailed, Busy) as refusal:
                messages.warning(request, str(refusal))
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d job will run again.", "%(count)d jobs will run again.", done) % {"count": done},
            )
