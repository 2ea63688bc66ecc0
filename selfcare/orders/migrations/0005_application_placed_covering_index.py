"""Applications by the time they were placed, with their count in the index (a covering index on PostgreSQL):
the list's order and the staff dashboard's sums of recent applications, read from the index alone. It
replaces the plain index on placed_at, which is dropped once the new one exists."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_sip_digests_and_reissue")]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["placed_at"], include=("count",), name="application_placed_idx"),
        ),
        migrations.AlterField(
            model_name="application",
            name="placed_at",
            field=models.DateTimeField(verbose_name="placed"),
        ),
    ]
