from django.urls import path

from leadflow.sales import views

app_name = "sales"

urlpatterns = [
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/activity/", views.contact_log_activity, name="contact_log_activity"),
    path("companies/", views.company_list, name="company_list"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("deals/", views.deal_board, name="board"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/win/", views.deal_win_view, name="deal_win"),
    path("deals/<int:pk>/lose/", views.deal_lose_view, name="deal_lose"),
    path("deals/<int:pk>/activity/", views.deal_log_activity, name="deal_log_activity"),
]
