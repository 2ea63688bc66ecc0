from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="pending_password",
            field=models.CharField(blank=True, default="", editable=False, max_length=128),
        ),
    ]
