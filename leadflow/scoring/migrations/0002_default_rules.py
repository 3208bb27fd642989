"""Starting rules an organisation can edit: points for buying signals, MQL/SQL thresholds."""

from django.db import migrations

SCORING_RULES = [
    # name, field, attribute, activity_kind, operator, value, points, half-life days
    ("Buying now", "purchase_timeframe", "", "", "eq", "now", 30, None),
    ("Buying within two months", "purchase_timeframe", "", "", "in", "1_month,2_months", 15, None),
    ("Names a company", "company_name", "", "", "set", "", 5, None),
    ("Referred to us", "channel", "", "", "eq", "referral", 10, None),
    ("Held a meeting", "activity_count", "", "meeting", "gte", "1", 20, 30),
    ("Talked on the phone", "activity_count", "", "call", "gte", "1", 10, 14),
    ("Silent for two months", "days_since_activity", "", "", "gte", "60", -15, None),
]
FUNNEL_RULES = [
    # name, field, activity_kind, operator, value, funnel class
    ("Score 40 or more", "score", "", "gte", "40", "mql"),
    ("Came through a referral or an event", "channel", "", "in", "referral,event", "mql"),
    ("Hot", "temperature", "", "eq", "hot", "sql"),
    ("Wants to buy now", "purchase_timeframe", "", "eq", "now", "sql"),
    ("Asked for a proposal", "activity_outcome", "", "contains", "proposal", "sql"),
]


def create(apps, schema_editor):
    ScoringRule = apps.get_model("scoring", "ScoringRule")
    QualificationRule = apps.get_model("scoring", "QualificationRule")
    for name, field, attribute, kind, operator, value, points, half_life in SCORING_RULES:
        ScoringRule.objects.get_or_create(
            name=name,
            defaults=dict(
                field=field,
                attribute=attribute,
                activity_kind=kind,
                operator=operator,
                value=value,
                points=points,
                half_life_days=half_life,
            ),
        )
    for name, field, kind, operator, value, funnel_class in FUNNEL_RULES:
        QualificationRule.objects.get_or_create(
            name=name,
            defaults=dict(
                field=field,
                activity_kind=kind,
                operator=operator,
                value=value,
                funnel_class=funnel_class,
            ),
        )


def remove(apps, schema_editor):
    apps.get_model("scoring", "ScoringRule").objects.filter(
        name__in=[rule[0] for rule in SCORING_RULES]
    ).delete()
    apps.get_model("scoring", "QualificationRule").objects.filter(
        name__in=[rule[0] for rule in FUNNEL_RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_rules_scores_models")]
    operations = [migrations.RunPython(create, remove)]
