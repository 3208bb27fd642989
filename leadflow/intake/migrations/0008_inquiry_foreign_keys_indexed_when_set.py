import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from leadflow.core.schema import field_index_dropped


class Migration(migrations.Migration):
    """Inquiries' mostly empty foreign keys indexed only where set; the channel by ``inquiry_channel_time`` alone.

    The indexes are dropped in place: Django would copy each table on SQLite.
    """

    dependencies = [
        ("intake", "0007_import_job_cancelled"),
        ("leads", "0008_lead_funnel_class_set_at"),
        ("sales", "0002_default_pipeline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        field_index_dropped(
            "intake",
            "inquiry",
            "campaign",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="inquiries",
                to="intake.campaign",
                verbose_name="campaign",
            ),
        ),
        field_index_dropped(
            "intake",
            "inquiry",
            "channel",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="inquiries",
                to="intake.channel",
                verbose_name="channel",
            ),
        ),
        field_index_dropped(
            "intake",
            "inquiry",
            "contact",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="inquiries",
                to="sales.contact",
                verbose_name="contact",
            ),
        ),
        field_index_dropped(
            "intake",
            "inquiry",
            "interest",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="inquiries",
                to="leads.interest",
                verbose_name="interest",
            ),
        ),
        field_index_dropped(
            "intake",
            "inquiry",
            "referred_by",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="referrals",
                to="sales.contact",
                verbose_name="referred by",
            ),
        ),
        field_index_dropped(
            "intake",
            "inquiry",
            "submitted_by",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="submitted by",
            ),
        ),
        migrations.AddIndex(
            model_name="inquiry",
            index=models.Index(
                condition=models.Q(("campaign__isnull", False)),
                fields=["campaign"],
                name="inquiry_campaign",
            ),
        ),
        migrations.AddIndex(
            model_name="inquiry",
            index=models.Index(
                condition=models.Q(("submitted_by__isnull", False)),
                fields=["submitted_by"],
                name="inquiry_submitted_by",
            ),
        ),
        migrations.AddIndex(
            model_name="inquiry",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="inquiry_contact",
            ),
        ),
        migrations.AddIndex(
            model_name="inquiry",
            index=models.Index(
                condition=models.Q(("interest__isnull", False)),
                fields=["interest"],
                name="inquiry_interest",
            ),
        ),
        migrations.AddIndex(
            model_name="inquiry",
            index=models.Index(
                condition=models.Q(("referred_by__isnull", False)),
                fields=["referred_by"],
                name="inquiry_referred_by",
            ),
        ),
    ]
