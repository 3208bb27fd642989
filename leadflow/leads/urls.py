from django.urls import path

from leadflow.leads import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="create"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/activity/", views.lead_log_activity, name="log_activity"),
    path("<int:pk>/assign/", views.lead_assign, name="assign"),
    path("<int:pk>/convert/", views.lead_convert_view, name="convert"),
    path("<int:pk>/reject/", views.lead_reject, name="reject"),
    path("<int:pk>/postpone/", views.lead_postpone, name="postpone"),
    path("<int:pk>/qualify/", views.lead_qualify, name="qualify"),
    path("<int:pk>/reopen/", views.lead_reopen, name="reopen"),
]
