"""Template helpers for the layout: the notification badge and consistent form fields."""

from __future__ import annotations

from typing import Any

from django import forms, template

from leadflow.activities.selectors import unread_notification_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_notification_count(user=user)


@register.inclusion_tag("web/_field.html")
def form_field(field: forms.BoundField, **attrs: Any) -> dict[str, Any]:
    """A label, the input, help text and errors, wired together for screen readers."""
    return {"field": field, "attrs": attrs}


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)
