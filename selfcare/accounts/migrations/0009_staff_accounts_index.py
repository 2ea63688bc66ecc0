"""The staff accounts' list reads the few staff logins along a partial index, not every customer's login."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_user_pending_password")]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(condition=models.Q(("is_staff", True)), fields=["username"], name="user_staff_idx"),
        ),
    ]
