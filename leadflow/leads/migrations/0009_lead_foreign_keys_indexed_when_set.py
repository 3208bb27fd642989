import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from leadflow.core.schema import field_index_dropped


class Migration(migrations.Migration):
    """Leads' mostly empty foreign keys indexed only where set; the channel and creation time by their composite indexes alone.

    The indexes are dropped in place: Django would copy each table on SQLite.
    """

    dependencies = [
        ("accounts", "0001_initial"),
        ("intake", "0008_inquiry_foreign_keys_indexed_when_set"),
        ("leads", "0008_lead_funnel_class_set_at"),
        ("sales", "0002_default_pipeline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        field_index_dropped(
            "leads",
            "lead",
            "campaign",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="leads",
                to="intake.campaign",
                verbose_name="campaign",
            ),
        ),
        field_index_dropped(
            "leads",
            "lead",
            "channel",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="leads",
                to="intake.channel",
                verbose_name="channel",
            ),
        ),
        field_index_dropped(
            "leads",
            "lead",
            "contact",
            models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The customer card this lead was converted into.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="leads",
                to="sales.contact",
                verbose_name="contact",
            ),
        ),
        field_index_dropped(
            "leads",
            "lead",
            "created_at",
            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        field_index_dropped(
            "leads",
            "lead",
            "deal",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="sales.deal",
                verbose_name="deal",
            ),
        ),
        field_index_dropped(
            "leads",
            "lead",
            "referred_by",
            models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The customer who recommended this person.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="referred_leads",
                to="sales.contact",
                verbose_name="referred by",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("campaign__isnull", False)),
                fields=["campaign"],
                name="lead_campaign",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("referred_by__isnull", False)),
                fields=["referred_by"],
                name="lead_referred_by",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="lead_contact",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("deal__isnull", False)), fields=["deal"], name="lead_deal"
            ),
        ),
    ]
