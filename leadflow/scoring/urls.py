from django.urls import path

from leadflow.scoring import views

app_name = "scoring"

urlpatterns = [
    path("", views.rules, name="rules"),
    path("rules/new/", views.scoring_rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", views.scoring_rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.scoring_rule_delete, name="rule_delete"),
    path("funnel-rules/new/", views.funnel_rule_create, name="funnel_rule_create"),
    path("funnel-rules/<int:pk>/edit/", views.funnel_rule_edit, name="funnel_rule_edit"),
    path("funnel-rules/<int:pk>/delete/", views.funnel_rule_delete, name="funnel_rule_delete"),
    path("model/", views.model_page, name="model"),
    path("model/train/", views.model_train, name="model_train"),
]
