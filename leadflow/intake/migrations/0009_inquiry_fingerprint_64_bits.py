"""Inquiry fingerprints cut to their first 16 hex digits (64 bits), as ``inquiry_fingerprint`` now makes them."""

from django.db import migrations

# ``intake.services.FINGERPRINT_LENGTH`` as it was when this migration was written.
FINGERPRINT_LENGTH = 16


def fingerprints_cut(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("intake", "Inquiry")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET fingerprint = substr(fingerprint, 1, %s) WHERE length(fingerprint) > %s",
            [FINGERPRINT_LENGTH, FINGERPRINT_LENGTH],
        )


class Migration(migrations.Migration):
    """Only the values change; the column keeps its 64 characters (changing it would copy the table).

    Not reversible in substance: the cut digits are gone. Going back leaves
    the short fingerprints, which the older code never produces, so a
    submission or import row from before is no longer recognised as the same.
    """

    dependencies = [
        ("intake", "0008_inquiry_foreign_keys_indexed_when_set"),
    ]

    operations = [
        migrations.RunPython(fingerprints_cut, migrations.RunPython.noop, elidable=False),
    ]
