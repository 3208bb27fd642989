"""Forms of the routing pages. They shape input; the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Role, Team, User
from leadflow.intake.models import Campaign, Channel
from leadflow.leads.models import FunnelClass, Temperature
from leadflow.routing.models import RoutingRule, Strategy
from leadflow.web.forms import VersionedForm


def _words(text: str) -> list[str]:
    """ "GB, TR es" → ["GB", "TR", "es"]: lists are typed with commas or spaces."""
    return [part for part in text.replace(",", " ").split() if part]


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        team = f" · {obj.team}" if getattr(obj, "team", None) else ""
        return f"{obj}{team}"


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        team = f" · {obj.team}" if getattr(obj, "team", None) else ""
        return f"{obj}{team}"


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    temperatures = forms.MultipleChoiceField(
        label=_("Temperature"),
        choices=Temperature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any temperature."),
    )
    funnel_classes = forms.MultipleChoiceField(
        label=_("Funnel class"),
        choices=FunnelClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    score_min = forms.IntegerField(label=_("Score at least"), required=False, min_value=0)
    score_max = forms.IntegerField(label=_("Score at most"), required=False, max_value=100)
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"),
        queryset=Channel.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any channel."),
    )
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"),
        queryset=Campaign.objects.order_by("name"),
        required=False,
        help_text=_("None chosen: any campaign (or none)."),
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        help_text=_("Two-letter codes separated by commas, such as GB, TR."),
    )
    regions = forms.CharField(
        label=_("Regions"), required=False, help_text=_("Separated by commas.")
    )
    languages = forms.CharField(
        label=_("Languages"), required=False, help_text=_("Codes such as en, tr, es.")
    )
    company_size_min = forms.IntegerField(
        label=_("Company size at least"),
        required=False,
        min_value=0,
        help_text=_("Employees, from the custom attribute company_size or employees."),
    )
    company_size_max = forms.IntegerField(
        label=_("Company size at most"), required=False, min_value=0
    )
    custom_attribute = forms.CharField(label=_("Custom attribute"), max_length=100, required=False)
    custom_value = forms.CharField(
        label=_("Custom attribute value"),
        max_length=255,
        required=False,
        help_text=_("Compared ignoring case."),
    )
    strategy = forms.ChoiceField(
        label=_("Strategy"),
        choices=Strategy.choices,
        help_text=_(
            "Best performer: highest conversion rate for the lead's temperature over 180 days, "
            "smoothed towards the team's rate. Round robin: in turn. Least loaded: smallest "
            "share of capacity in use. Junior pool: juniors in turn. Unavailable people and "
            "people at capacity are skipped."
        ),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("No team (use the pool)"),
        help_text=_("Its sales reps take part, unless a pool of people is chosen."),
    )
    pool = PeopleChoice(
        label=_("Pool of people"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Instead of the whole team: exactly these people."),
    )
    person = PersonChoice(
        label=_("Named person"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("—"),
        help_text=_("For the “a named person” strategy."),
    )
    reassign_on_breach = forms.BooleanField(
        label=_("Hand the lead to the next person when the first contact is late"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.HEAD_OF_SALES])
            .select_related("team")
            .order_by("first_name", "username")
        )
        self.fields["pool"].queryset = people  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(rule: RoutingRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "active": rule.active,
            "temperatures": rule.temperatures,
            "funnel_classes": rule.funnel_classes,
            "score_min": rule.score_min,
            "score_max": rule.score_max,
            "channels": list(rule.channels.all()),
            "campaigns": list(rule.campaigns.all()),
            "countries": ", ".join(rule.countries),
            "regions": ", ".join(rule.regions),
            "languages": ", ".join(rule.languages),
            "company_size_min": rule.company_size_min,
            "company_size_max": rule.company_size_max,
            "custom_attribute": rule.custom_attribute,
            "custom_value": rule.custom_value,
            "strategy": rule.strategy,
            "team": rule.team_id,
            "pool": list(rule.pool.all()),
            "person": rule.person_id,
            "reassign_on_breach": rule.reassign_on_breach,
            "version": rule.version,
        }

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as the rule services take it."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["regions"] = [
            part.strip() for part in (data.get("regions") or "").split(",") if part.strip()
        ]
        data["countries"] = _words(data.get("countries") or "")
        data["languages"] = _words(data.get("languages") or "")
        data["channels"] = list(data.get("channels") or [])
        data["campaigns"] = list(data.get("campaigns") or [])
        data["pool"] = list(data.get("pool") or [])
        return data


class RuleEditForm(VersionedForm, RuleForm):
    pass


class TargetsForm(forms.Form):
    """The first-response target of each temperature: minutes plus business days."""

    def __init__(self, *args: Any, targets: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Temperature.choices)
        for target in targets:
            name = target["temperature"]
            self.fields[f"{name}_business_days"] = forms.IntegerField(
                label=_("%(temperature)s: business days") % {"temperature": labels[name]},
                min_value=0,
                max_value=60,
                initial=target["business_days"],
            )
            self.fields[f"{name}_minutes"] = forms.IntegerField(
                label=_("%(temperature)s: minutes") % {"temperature": labels[name]},
                min_value=0,
                initial=target["minutes"],
            )

    def targets(self) -> list[tuple[str, int, int]]:
        return [
            (
                name,
                self.cleaned_data[f"{name}_minutes"],
                self.cleaned_data[f"{name}_business_days"],
            )
            for name in Temperature.values
            if f"{name}_minutes" in self.cleaned_data
        ]


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
