from django.db import migrations

# slug, name, kind, origin class
DEFAULT_CHANNELS = [
    ("web-form", "Web form", "web_form", "net"),
    ("api", "API", "api", "net"),
    ("email", "E-mail", "email", "net"),
    ("phone", "Phone", "phone", "net"),
    ("import", "Import", "import", "spear"),
    ("chat", "Chat", "chat", "net"),
    ("referral", "Referral", "referral", "seed"),
    ("event", "Event", "event", "net"),
    ("social", "Social networks", "social", "net"),
    ("manual", "Manual entry", "manual", "spear"),
    ("third-party", "Third party", "third_party", "net"),
]


def create_default_channels(apps, schema_editor):
    Channel = apps.get_model("intake", "Channel")
    for slug, name, kind, origin_class in DEFAULT_CHANNELS:
        Channel.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "origin_class": origin_class}
        )


def remove_default_channels(apps, schema_editor):
    Channel = apps.get_model("intake", "Channel")
    Channel.objects.filter(slug__in=[c[0] for c in DEFAULT_CHANNELS], leads__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
        ("leads", "0002_lead_relations"),
    ]

    operations = [migrations.RunPython(create_default_channels, remove_default_channels)]
