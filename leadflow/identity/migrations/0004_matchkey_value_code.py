"""Match keys filed as 64-bit codes instead of their text (``identity.matching.key_code``)."""

import hashlib

from django.db import migrations, models

# ``key_code`` as it was when this migration was written: a migration must do
# the same thing whatever the code around it becomes.
_KINDS = {"e": 1, "l": 2, "p": 3, "sc": 4, "sz": 5, "st": 6, "a": 7, "lz": 8, "i": 9}


def _code(key: str) -> int:
    kind = _KINDS.get(key.partition(":")[0], 0)
    digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    return (kind << 56) | (digest & ((1 << 56) - 1))


def codes_from_text(apps, schema_editor):
    """Each stored key's text replaced by its code, still as text, which the column change converts."""
    table = schema_editor.quote_name(apps.get_model("identity", "MatchKey")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(
                f"SELECT id, value FROM {table} WHERE id > %s ORDER BY id LIMIT 5000", [last]
            )
            rows = cursor.fetchall()
            if not rows:
                break
            cursor.executemany(
                f"UPDATE {table} SET value = %s WHERE id = %s",
                [(str(_code(value)), pk) for pk, value in rows],
            )
            last = rows[-1][0]


def keys_forgotten(apps, schema_editor):
    """Back to text keys: the codes cannot be turned back, so the keys go (``leadflow dedupe reindex`` files them again)."""
    apps.get_model("identity", "MatchKey").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_matchkey_contact_indexed_when_set"),
    ]

    operations = [
        migrations.RunPython(codes_from_text, keys_forgotten),
        migrations.AlterField(
            model_name="matchkey",
            name="value",
            field=models.BigIntegerField(verbose_name="key"),
        ),
    ]
