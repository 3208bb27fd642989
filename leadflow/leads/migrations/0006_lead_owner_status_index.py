"""The (owner, status) index routing counts open leads with, now known to Django.

Routing's migration 0002 created it with raw SQL as ``routing_lead_owner_status``,
so Django's model state did not know it (``makemigrations`` could not see it and
a test database built from the models alone would lack it). This migration
records the existing index in the state (creating it only where it is missing), then
renames it to ``lead_owner_status`` beside the lead table's other indexes:
PostgreSQL renames it in place (no rebuild, no long lock on a big table);
SQLite, which cannot rename an index, drops and recreates it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0005_lead_referred_by"),
        ("routing", "0002_default_response_targets_and_lead_load_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # A database whose routing migration was faked may lack the index.
            database_operations=[
                migrations.RunSQL(
                    "CREATE INDEX IF NOT EXISTS routing_lead_owner_status"
                    " ON leads_lead (owner_id, status)",
                    migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="lead",
                    index=models.Index(
                        fields=["owner", "status"], name="routing_lead_owner_status"
                    ),
                ),
            ],
        ),
        migrations.RenameIndex(
            model_name="lead",
            new_name="lead_owner_status",
            old_name="routing_lead_owner_status",
        ),
    ]
