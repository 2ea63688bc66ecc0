"""Jobs are stored by the path of their function: a job whose module moved must be found at its new path.

Queued, retrying or failed before an upgrade, such a job would otherwise fail for good at its next run
(its module gone) and could never be run again from the jobs page. This rewrites the stored path of every
job whose function moved; a later move adds its pair here (or in a migration of its own).
"""

from django.db import migrations

MOVED = {
    # The posted secrets' purge moved from letters to the secrets' owner.
    "selfcare.letters.jobs.purge_posted_secrets": "selfcare.secrets.jobs.purge_posted_secrets",
}


def forwards(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def backwards(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        DBTaskResult.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial"), ("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [migrations.RunPython(forwards, backwards)]
