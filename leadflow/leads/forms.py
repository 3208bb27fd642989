"""Forms of the lead pages. They only shape input: the services validate and normalise."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.selectors import assignable_users
from leadflow.intake.models import OriginClass
from leadflow.intake.selectors import channel_list
from leadflow.leads.models import FunnelClass, LeadStatus, PurchaseTimeframe, Temperature
from leadflow.leads.services import PERSON_FIELDS
from leadflow.sales.selectors import pipeline_list
from leadflow.web.forms import DateInput, VersionedForm

# What the sort menu offers, and the selector ordering each one means.
LEAD_SORTS: dict[str, tuple[str, Any]] = {
    "newest": ("-created_at", _("Newest first")),
    "oldest": ("created_at", _("Oldest first")),
    "name": ("last_name", _("Name A–Z")),
    "score": ("-score", _("Highest score")),
}


def _with_blank(choices: Any, blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *list(choices)]


class LeadFilterForm(forms.Form):
    """The lead list's search box, filters and sort; never invalid, unknown values are ignored."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, company, e-mail or phone")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_blank(LeadStatus.choices, _("Any"))
    )
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))],
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    temperature = forms.ChoiceField(
        label=_("Temperature"), required=False, choices=_with_blank(Temperature.choices, _("Any"))
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, label) for key, (_ordering, label) in LEAD_SORTS.items()],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channel"]).choices = _with_blank(
            [(channel.slug, channel.name) for channel in channel_list()], _("Any")
        )

    def value(self, name: str) -> str:
        """The submitted value if it is one of the choices, else blank."""
        if not self.is_bound:
            return ""
        raw = str(self.data.get(name, "")).strip()
        field = self.fields[name]
        if isinstance(field, forms.ChoiceField):
            return raw if raw and field.valid_value(raw) else ""
        return raw

    @property
    def ordering(self) -> str:
        return LEAD_SORTS.get(self.value("sort") or "newest", LEAD_SORTS["newest"])[0]


class LeadPersonForm(forms.Form):
    """The person fields a lead is created and edited with (names as in the API and imports)."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text=_("With the country code, or a number in the channel's country."),
    )
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    purchase_timeframe = forms.ChoiceField(
        label=_("When do they want to buy?"),
        required=False,
        choices=_with_blank(PurchaseTimeframe.choices, _("They did not say")),
        help_text=_("Sets the temperature: now is hot, within two months warm, later cold."),
    )
    street = forms.CharField(label=_("Street"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=150, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    region = forms.CharField(label=_("Region"), max_length=150, required=False)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,
        help_text=_("Two-letter code, such as GB or TR."),
    )
    language = forms.CharField(label=_("Language"), max_length=10, required=False)
    external_id = forms.CharField(label=_("External id"), max_length=100, required=False)

    main_fields = ("first_name", "last_name", "email", "phone", "company_name", "job_title")
    more_fields = (
        "street",
        "city",
        "postal_code",
        "region",
        "country",
        "language",
        "external_id",
    )

    def person_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in PERSON_FIELDS}

    def main(self) -> list[forms.BoundField]:
        return [self[name] for name in self.main_fields]

    def more(self) -> list[forms.BoundField]:
        return [self[name] for name in self.more_fields]


class LeadCreateForm(LeadPersonForm):
    """Manual entry (a phone call, a business card): the channel is mandatory."""

    channel = forms.ChoiceField(label=_("Channel"))
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet (the queue)"),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = {channel.slug: channel for channel in channel_list()}
        cast(forms.ChoiceField, self.fields["channel"]).choices = _with_blank(
            [(slug, channel.name) for slug, channel in self.channels.items()],
            _("Choose where the request came from"),
        )
        if "manual" in self.channels and not self.is_bound:
            self.initial.setdefault("channel", "manual")
        if actor.is_admin or actor.is_head_of_sales:
            self.fields["owner"].queryset = assignable_users(actor=actor)  # type: ignore[attr-defined]
            self.initial.setdefault("owner", actor.pk)
        else:
            # Reps own what they enter; marketers leave it to routing.
            del self.fields["owner"]


class LeadEditForm(VersionedForm, LeadPersonForm):
    pass


class AssignForm(VersionedForm):
    owner = forms.ModelChoiceField(
        label=_("Give it to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (back to the queue)"),
    )
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=255,
        required=False,
        help_text=_("Kept in the lead's history, such as “Rhys is on holiday”."),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users(actor=actor)  # type: ignore[attr-defined]


class ConvertForm(VersionedForm):
    owner = forms.ModelChoiceField(
        label=_("Customer owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The lead's owner"),
        help_text=_("Who looks after the customer, if not the lead's owner."),
    )
    create_deal = forms.BooleanField(label=_("Open a deal"), required=False, initial=True)
    deal_title = forms.CharField(
        label=_("Deal title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the company or person name."),
    )
    amount = forms.DecimalField(
        label=_("Expected amount"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    pipeline = forms.ChoiceField(label=_("Pipeline"), required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actor.is_admin or actor.is_head_of_sales:
            self.fields["owner"].queryset = assignable_users(actor=actor)  # type: ignore[attr-defined]
        else:
            del self.fields["owner"]
        self.pipelines = {pipeline.slug: pipeline for pipeline in pipeline_list()}
        if len(self.pipelines) > 1:
            cast(forms.ChoiceField, self.fields["pipeline"]).choices = _with_blank(
                [(slug, pipeline.name) for slug, pipeline in self.pipelines.items()],
                _("The default pipeline"),
            )
        else:
            del self.fields["pipeline"]


class RejectForm(VersionedForm):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        max_length=255,
        help_text=_("The lead is kept with this reason; it is never deleted."),
    )


class QualifyForm(VersionedForm):
    temperature = forms.ChoiceField(
        label=_("Temperature"),
        choices=[
            ("", _("Leave as it is")),
            ("auto", _("Follow the purchase timeframe")),
            *Temperature.choices,
        ],
        required=False,
        help_text=_(
            "A temperature you choose stays until you set it back to follow the timeframe."
        ),
    )
    funnel_class = forms.ChoiceField(
        label=_("Funnel class"),
        choices=[("", _("Leave as it is")), *FunnelClass.choices],
        required=False,
        help_text=_(
            "Funnel rules do not raise a class you choose until the lead gets in touch again"
            " or a call, meeting or proposal with them goes well."
        ),
    )
    origin_class = forms.ChoiceField(
        label=_("Origin class"),
        choices=[("", _("Leave as it is")), *OriginClass.choices],
        required=False,
    )
    reason = forms.CharField(label=_("Why (optional)"), max_length=255, required=False)


class PostponeForm(VersionedForm):
    until = forms.DateField(label=_("Postpone until"), widget=DateInput)
    reason = forms.CharField(label=_("Reason (optional)"), max_length=255, required=False)
