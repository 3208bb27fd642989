"""Forms of the scoring pages. They only shape input: the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.activities.models import ActivityKind
from leadflow.scoring.models import ConditionField, Operator
from leadflow.web.forms import VersionedForm


class _ConditionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    field = forms.ChoiceField(label=_("Looks at"), choices=ConditionField.choices)
    attribute = forms.CharField(
        label=_("Custom attribute"),
        max_length=100,
        required=False,
        help_text=_("Only when the rule looks at a custom attribute."),
    )
    activity_kind = forms.ChoiceField(
        label=_("Activity kind"),
        required=False,
        choices=[("", _("Any kind")), *ActivityKind.choices],
        help_text=_("Only for activity conditions."),
    )
    operator = forms.ChoiceField(label=_("Test"), choices=Operator.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=255,
        required=False,
        help_text=_("Slugs for channels and campaigns; codes such as hot, mql, now, GB."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class ScoringRuleForm(_ConditionForm):
    points = forms.IntegerField(label=_("Points"), min_value=-100, max_value=100)
    half_life_days = forms.IntegerField(
        label=_("Half-life in days"),
        required=False,
        min_value=1,
        help_text=_(
            "Points fade by half every this many days since the last matching activity "
            "(or since the lead came in). Empty: they do not fade."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (value, label) for value, label in ConditionField.choices if value != "score"
        ]


class ScoringRuleEditForm(ScoringRuleForm, VersionedForm):
    pass


class FunnelRuleForm(_ConditionForm):
    funnel_class = forms.ChoiceField(
        label=_("Makes the lead"),
        choices=[("mql", _("Marketing-qualified")), ("sql", _("Sales-qualified"))],
    )


class FunnelRuleEditForm(FunnelRuleForm, VersionedForm):
    pass
