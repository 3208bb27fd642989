"""Forms of the deal, contact and company pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.web.forms import VersionedForm


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class MoveForm(VersionedForm):
    stage = forms.IntegerField(label=_("Stage"), min_value=1)


class WinForm(VersionedForm):
    amount = forms.DecimalField(
        label=_("Final amount"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Leave empty to keep the expected amount."),
    )


class LoseForm(VersionedForm):
    reason = forms.CharField(label=_("Why was it lost?"), max_length=255)
