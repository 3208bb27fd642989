"""Background work around activities and notifications."""

from __future__ import annotations

from django.core.mail import send_mail

from leadflow.activities.models import Notification
from leadflow.core.tasks import background_task


@background_task()
def notification_email_send(notification_id: int) -> bool:
    """E-mail an in-app notification to its recipient, away from the request that made it.

    Returns False, sending nothing, when the notification is gone or the
    person has no e-mail address.
    """
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or not notification.user.email:
        return False
    send_mail(
        subject=notification.text[:78],
        message=f"{notification.text}\n\n{notification.url}".strip(),
        from_email=None,
        recipient_list=[notification.user.email],
    )
    return True
