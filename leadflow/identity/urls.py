from django.urls import path

from leadflow.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.duplicate_list, name="duplicates"),
    path("<int:pk>/merge/", views.duplicate_merge, name="merge"),
    path("<int:pk>/dismiss/", views.duplicate_dismiss, name="dismiss"),
    path("merges/<int:pk>/unmerge/", views.merge_undo, name="unmerge"),
]
