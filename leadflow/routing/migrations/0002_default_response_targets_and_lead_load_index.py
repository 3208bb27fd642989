"""Default first-response targets, and an index that makes counting a rep's open leads cheap.

Routing counts each candidate's open leads (status new, working or
nurturing) on every assignment, to respect capacity. The lead table's indexes
lead with the owner and then the creation time, so that count would read
every lead a rep ever owned; this index on (owner, status) makes it a short
index range at a million leads as at a thousand.
"""

from django.db import migrations

# Defaults of the issue: hot 15 minutes, warm 4 hours, cold 2 business days.
DEFAULT_TARGETS = [("hot", 15, 0), ("warm", 240, 0), ("cold", 0, 2)]


def add_default_targets(apps, schema_editor):
    ResponseTarget = apps.get_model("routing", "ResponseTarget")
    for temperature, minutes, business_days in DEFAULT_TARGETS:
        ResponseTarget.objects.get_or_create(
            temperature=temperature,
            defaults={"minutes": minutes, "business_days": business_days},
        )


def remove_default_targets(apps, schema_editor):
    apps.get_model("routing", "ResponseTarget").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0001_rules_targets_first_responses"),
        ("leads", "0004_lead_outcome"),
    ]

    operations = [
        migrations.RunPython(add_default_targets, remove_default_targets),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS routing_lead_owner_status ON leads_lead (owner_id, status)",
            "DROP INDEX IF EXISTS routing_lead_owner_status",
        ),
    ]
