import django.db.models.deletion
from django.db import migrations, models

from leadflow.core.schema import field_index_dropped


class Migration(migrations.Migration):
    """Match keys' contact indexed only where set: a lead's keys have none.

    The indexes are dropped in place: Django would copy each table on SQLite.
    """

    dependencies = [
        ("identity", "0002_matchkey_covering_index"),
        ("leads", "0009_lead_foreign_keys_indexed_when_set"),
        ("sales", "0002_default_pipeline"),
    ]

    operations = [
        field_index_dropped(
            "identity",
            "matchkey",
            "contact",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="sales.contact",
            ),
        ),
        migrations.AddIndex(
            model_name="matchkey",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="matchkey_contact",
            ),
        ),
    ]
