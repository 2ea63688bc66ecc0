"""The paper cancellations list's order (newest recorded first): an index instead of sorting every one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_application_placed_covering_index")]

    operations = [
        migrations.AddIndex(
            model_name="cancellation",
            index=models.Index(fields=["recorded_at", "id"], name="cancellation_recorded_idx"),
        ),
    ]
