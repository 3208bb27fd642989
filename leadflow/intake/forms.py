"""Forms of the intake pages: public web forms, their settings, calls, referrals, the inbox filters.

They only shape input; ``inquiry_submit`` and the services in ``intake.public``
and ``intake.webhooks`` validate and normalise.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.intake.models import Campaign, Channel, InquiryOutcome, WebForm, WebhookSource
from leadflow.intake.public import (
    CONSENT_FIELD,
    FIELD_LABELS,
    OFFERABLE_FIELDS,
    PAGE_FIELD,
    REFERRER_FIELD,
    UTM_PARAMETERS,
)
from leadflow.intake.selectors import channel_list
from leadflow.leads.models import PurchaseTimeframe

# Autocomplete hints and input types so phones offer the right keyboard.
_WIDGETS: dict[str, forms.Widget] = {
    "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
    "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
    "email": forms.EmailInput(attrs={"autocomplete": "email"}),
    "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    "company_name": forms.TextInput(attrs={"autocomplete": "organization"}),
    "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
    "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
    "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
    "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
    "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
    "country": forms.TextInput(attrs={"autocomplete": "country", "maxlength": "2"}),
    "language": forms.TextInput(attrs={"autocomplete": "language"}),
    "message": forms.Textarea(attrs={"rows": 4}),
}
_MAX_LENGTHS = {"message": 5000, "country": 2, "postal_code": 20, "language": 10}


def _person_field(name: str, *, required: bool) -> forms.Field:
    label = FIELD_LABELS[name]
    if name == "purchase_timeframe":
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[("", _("Not sure yet")), *PurchaseTimeframe.choices],
        )
    widget = _WIDGETS.get(name, forms.TextInput())
    return forms.CharField(
        label=label,
        required=required,
        max_length=_MAX_LENGTHS.get(name, 254),
        widget=type(widget)(attrs=dict(widget.attrs)),
    )


class PublicForm(forms.Form):
    """What a visitor fills in: the fields the form offers, plus the hidden protection fields."""

    def __init__(self, *args: Any, webform: WebForm, consent_text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.webform = webform
        for item in webform.fields:
            self.fields[item["name"]] = _person_field(item["name"], required=item["required"])
        if consent_text:
            self.fields[CONSENT_FIELD] = forms.BooleanField(
                label=consent_text, required=webform.consent_required
            )
        self.fields[REFERRER_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.fields[PAGE_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        for name in UTM_PARAMETERS:
            self.fields[name] = forms.CharField(
                widget=forms.HiddenInput, required=False, max_length=200
            )

    def values(self) -> dict[str, str]:
        """The offered fields as typed (the services normalise them)."""
        return {
            item["name"]: str(self.cleaned_data.get(item["name"]) or "")
            for item in self.webform.fields
        }

    def utm(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name] for name in UTM_PARAMETERS if self.cleaned_data.get(name)
        }

    def visible_person_fields(self) -> list[forms.BoundField]:
        return [self[item["name"]] for item in self.webform.fields]


OFFER_CHOICES = [
    ("", _("Not asked")),
    ("optional", _("Optional")),
    ("required", _("Required")),
]


class WebFormSettingsForm(forms.Form):
    """A web form's settings, with one "not asked / optional / required" choice per field."""

    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=100,
        help_text=_("The form is served at /f/<address>/ — letters, digits and hyphens."),
    )
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("No campaign"),
    )
    consent_text = forms.CharField(
        label=_("Consent text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown beside a tick box. Changing it makes a new version; every inquiry keeps "
            "the exact wording its sender agreed to."
        ),
    )
    consent_required = forms.BooleanField(label=_("Consent is required"), required=False)
    thank_you_message = forms.CharField(
        label=_("Thank-you message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    redirect_url = forms.URLField(
        label=_("Or go to this page afterwards"),
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    min_fill_seconds = forms.IntegerField(
        label=_("Minimum fill time (seconds)"),
        min_value=0,
        max_value=600,
        initial=3,
        help_text=_("Faster submissions come from robots and are refused."),
    )
    submissions_per_hour = forms.IntegerField(
        label=_("Submissions per hour"), min_value=1, max_value=1_000_000, initial=300
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel_field = cast(forms.ModelChoiceField, self.fields["channel"])
        channel_field.queryset = Channel.objects.filter(is_active=True).order_by("name")
        campaign_field = cast(forms.ModelChoiceField, self.fields["campaign"])
        campaign_field.queryset = Campaign.objects.filter(is_active=True).order_by("name")
        for name in OFFERABLE_FIELDS:
            self.fields[f"offer_{name}"] = forms.ChoiceField(
                label=FIELD_LABELS[name], choices=OFFER_CHOICES, required=False
            )

    @classmethod
    def initial_for(cls, webform: WebForm | None) -> dict[str, Any]:
        if webform is None:
            channel = Channel.objects.filter(slug="web-form").first()
            return {
                "channel": channel.pk if channel else None,
                "is_active": True,
                "offer_first_name": "required",
                "offer_last_name": "required",
                "offer_email": "required",
                "offer_phone": "optional",
                "offer_company_name": "optional",
                "offer_message": "optional",
            }
        initial: dict[str, Any] = {
            name: getattr(webform, name)
            for name in (
                "name",
                "slug",
                "consent_text",
                "consent_required",
                "thank_you_message",
                "redirect_url",
                "min_fill_seconds",
                "submissions_per_hour",
                "is_active",
            )
        }
        initial["channel"] = webform.channel_id
        initial["campaign"] = webform.campaign_id
        for item in webform.fields:
            initial[f"offer_{item['name']}"] = "required" if item["required"] else "optional"
        return initial

    def offer_fields(self) -> list[forms.BoundField]:
        return [self[f"offer_{name}"] for name in OFFERABLE_FIELDS]

    def offered(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "required": self.cleaned_data.get(f"offer_{name}") == "required"}
            for name in OFFERABLE_FIELDS
            if self.cleaned_data.get(f"offer_{name}")
        ]

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "slug": data["slug"],
            "fields": self.offered(),
            "channel": data["channel"],
            "campaign": data["campaign"],
            "consent_text": data["consent_text"],
            "consent_required": data["consent_required"],
            "thank_you_message": data["thank_you_message"],
            "redirect_url": data["redirect_url"],
            "min_fill_seconds": data["min_fill_seconds"],
            "submissions_per_hour": data["submissions_per_hour"],
            "is_active": data["is_active"],
        }


class WebhookSourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=100,
        help_text=_("The source posts to /hooks/<address>/."),
    )
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("No campaign"),
    )
    field_mapping = forms.CharField(
        label=_("Field mapping"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        initial='{\n  "contact.email": "email",\n  "contact.name": "last_name"\n}',
        help_text=_(
            "A JSON object: the dotted path in the posted JSON → the lead field (first_name, "
            "last_name, email, phone, company_name, … or message). Everything else is kept "
            "as custom attributes."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    new_secret = forms.BooleanField(
        label=_("Replace the signing secret"),
        required=False,
        help_text=_("The sender must then sign with the new secret; the old one stops working."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["channel"]).queryset = Channel.objects.filter(
            is_active=True
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = Campaign.objects.filter(
            is_active=True
        ).order_by("name")
        if not editing:
            del self.fields["new_secret"]

    @classmethod
    def initial_for(cls, source: WebhookSource | None) -> dict[str, Any]:
        if source is None:
            channel = Channel.objects.filter(slug="chat").first()
            return {"channel": channel.pk if channel else None, "is_active": True}
        return {
            "name": source.name,
            "slug": source.slug,
            "channel": source.channel_id,
            "campaign": source.campaign_id,
            "field_mapping": json.dumps(source.field_mapping, indent=2, ensure_ascii=False),
            "is_active": source.is_active,
        }

    def clean_field_mapping(self) -> Any:
        try:
            return json.loads(self.cleaned_data["field_mapping"])
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON: %(error)s") % {"error": exc}
            ) from exc

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("name", "slug", "channel", "campaign", "field_mapping", "is_active")
        }


class PersonInquiryForm(forms.Form):
    """A person someone tells us about by hand: on the phone, or as a referral."""

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
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    message = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    person_names = ("first_name", "last_name", "email", "phone", "company_name")

    def person_data(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.person_names}


class CallForm(PersonInquiryForm):
    """An incoming call: the number first, so the caller's card can be found while typing."""

    field_order = ["phone", "first_name", "last_name", "email", "company_name", "message"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].required = True
        self.fields["phone"].label = _("Caller's number")
        self.fields["message"].label = _("What the call was about")


class ReferralForm(PersonInquiryForm):
    """Someone a customer recommended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["message"].label = _("What they need (optional)")


def _with_blank(choices: Any, blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *list(choices)]


class InquiryFilterForm(forms.Form):
    """The inbox filters; never invalid, unknown values are ignored."""

    channel = forms.ChoiceField(label=_("Channel"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=_with_blank(InquiryOutcome.choices, _("Any")),
    )
    needs_review = forms.ChoiceField(
        label=_("Review"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Needs review")), ("no", _("Confirmed"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channel"]).choices = _with_blank(
            [(channel.slug, channel.name) for channel in channel_list(active_only=False)],
            _("Any"),
        )

    def value(self, name: str) -> str:
        if not self.is_bound:
            return ""
        raw = str(self.data.get(name, "")).strip()
        field = cast(forms.ChoiceField, self.fields[name])
        return raw if raw and field.valid_value(raw) else ""
