"""The pool tally (PoolChange): the counts of the numbers by state and day, started from the numbers table
as it is (one grouped read; a few seconds at ten million numbers)."""

from django.db import migrations, models
from django.db.models import Count


def tally_from_numbers(apps, schema_editor):
    PhoneNumber = apps.get_model("inventory", "PhoneNumber")
    PoolChange = apps.get_model("inventory", "PoolChange")
    by_day = (
        PhoneNumber.objects.filter(status="free")
        .values("available_from")
        .annotate(n=Count("pk"))
        .order_by("available_from")
        .values_list("available_from", "n")
    )
    rows = [PoolChange(available_from=day, numbers=n) for day, n in by_day]
    held = PhoneNumber.objects.filter(status="assigned").count()
    if held:
        rows.append(PoolChange(available_from=None, numbers=held))
    PoolChange.objects.bulk_create(rows, batch_size=1_000)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_permissions")]

    operations = [
        migrations.CreateModel(
            name="PoolChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("available_from", models.DateField(blank=True, null=True, verbose_name="available from")),
                ("numbers", models.IntegerField(verbose_name="numbers")),
            ],
            options={
                "verbose_name": "pool change",
                "verbose_name_plural": "pool changes",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(tally_from_numbers, migrations.RunPython.noop, elidable=False),
    ]
