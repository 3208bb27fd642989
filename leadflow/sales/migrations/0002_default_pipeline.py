from django.db import migrations

# The seven-step sales process, then the two terminal stages.
# slug, name, win probability (%), kind
DEFAULT_STAGES = [
    ("prospecting", "Prospecting", 10, "open"),
    ("preparation", "Preparation", 20, "open"),
    ("needs-assessment", "Needs assessment", 30, "open"),
    ("presentation", "Presentation", 45, "open"),
    ("objection-handling", "Objection handling", 60, "open"),
    ("closing", "Closing", 80, "open"),
    ("follow-up", "Follow-up", 90, "open"),
    ("won", "Won", 100, "won"),
    ("lost", "Lost", 0, "lost"),
]


def create_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    pipeline, created = Pipeline.objects.get_or_create(
        slug="sales", defaults={"name": "Sales", "is_default": True}
    )
    if not created:
        return
    for order, (slug, name, probability, kind) in enumerate(DEFAULT_STAGES, start=1):
        Stage.objects.create(
            pipeline=pipeline, slug=slug, name=name, order=order, probability=probability, kind=kind
        )


def remove_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Pipeline.objects.filter(slug="sales", deals__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_default_pipeline, remove_default_pipeline)]
