from django.urls import path

from leadflow.activities import views

app_name = "activities"

urlpatterns = [
    path("tasks/", views.my_tasks, name="tasks"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="complete"),
    path("notifications/", views.notifications, name="notifications"),
]
