from django.urls import path

from leadflow.intake import views

app_name = "intake"

urlpatterns = [
    # Public doors, posted from other sites.
    path("f/<slug:slug>/", views.public_form, name="public_form"),
    path("f/<slug:slug>/thanks/", views.public_thanks, name="public_thanks"),
    path("hooks/<slug:slug>/", views.webhook, name="webhook"),
    # Staff pages.
    path("inquiries/", views.inbox, name="inbox"),
    path("inquiries/call/", views.call_entry, name="call"),
    path("inquiries/call/match/", views.call_match, name="call_match"),
    path("inquiries/refer/<int:contact_pk>/", views.refer, name="refer"),
    path("inquiries/forms/", views.webform_list, name="webform_list"),
    path("inquiries/forms/new/", views.webform_edit, name="webform_create"),
    path("inquiries/forms/<int:pk>/", views.webform_detail, name="webform_detail"),
    path("inquiries/forms/<int:pk>/edit/", views.webform_edit, name="webform_edit"),
    path("inquiries/hooks/", views.webhook_list, name="webhook_list"),
    path("inquiries/hooks/new/", views.webhook_edit, name="webhook_create"),
    path("inquiries/hooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("inquiries/hooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
]
