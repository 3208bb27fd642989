import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from leadflow.core.schema import field_index_dropped


class Migration(migrations.Migration):
    """Events' mostly empty foreign keys (actor, contact, company, deal) indexed only where set.

    The indexes are dropped in place: Django would copy each table on SQLite.
    """

    dependencies = [
        ("core", "0003_event_kinds_intake_routing"),
        ("leads", "0008_lead_funnel_class_set_at"),
        ("sales", "0002_default_pipeline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        field_index_dropped(
            "core",
            "event",
            "actor",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="actor",
            ),
        ),
        field_index_dropped(
            "core",
            "event",
            "company",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="sales.company",
            ),
        ),
        field_index_dropped(
            "core",
            "event",
            "contact",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="sales.contact",
            ),
        ),
        field_index_dropped(
            "core",
            "event",
            "deal",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="sales.deal",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="event_actor"
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="event_contact",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("company__isnull", False)),
                fields=["company"],
                name="event_company",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("deal__isnull", False)), fields=["deal"], name="event_deal"
            ),
        ),
    ]
