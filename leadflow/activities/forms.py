"""Forms for logging and completing activities."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.activities.models import ActivityKind
from leadflow.web.forms import DateTimeInput, VersionedForm


class ActivityForm(forms.Form):
    """Log something done, or plan something to do, on a lead, contact or deal."""

    DONE = "done"
    PLANNED = "planned"

    kind = forms.ChoiceField(label=_("What"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    state = forms.ChoiceField(
        label=_("Done or planned?"),
        choices=[(DONE, _("Done now")), (PLANNED, _("Planned"))],
        initial=DONE,
        widget=forms.RadioSelect,
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=DateTimeInput,
        help_text=_("For a planned activity: when it should be done."),
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=255,
        required=False,
        help_text=_("For a done activity: what came of it."),
    )
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("state") == self.PLANNED and not data.get("due_at"):
            self.add_error("due_at", _("Say when the planned activity is due."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """The keywords for ``activity_create``."""
        data = self.cleaned_data
        done = data["state"] == self.DONE
        due_at: datetime.datetime | None = data.get("due_at")
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data.get("body", ""),
            "due_at": None if done else due_at,
            "done_at": timezone.now() if done else None,
            "outcome": data.get("outcome", "") if done else "",
        }


class CompleteForm(VersionedForm):
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("What came of it?")}),
    )
