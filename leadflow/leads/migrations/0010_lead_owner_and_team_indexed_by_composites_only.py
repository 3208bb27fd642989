import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from leadflow.core.schema import field_index_dropped


class Migration(migrations.Migration):
    """Leads' owner and team indexed only by the composite indexes that begin with them.

    The indexes are dropped in place: Django would copy the table on SQLite.
    """

    dependencies = [
        ("accounts", "0001_initial"),
        ("leads", "0009_lead_foreign_keys_indexed_when_set"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        field_index_dropped(
            "leads",
            "lead",
            "owner",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        field_index_dropped(
            "leads",
            "lead",
            "team",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.team",
                verbose_name="team",
            ),
        ),
    ]
