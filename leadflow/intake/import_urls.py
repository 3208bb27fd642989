from django.urls import path

from leadflow.intake import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_list, name="list"),
    path("<int:pk>/", import_views.import_detail, name="detail"),
    path("<int:pk>/mapping/", import_views.import_mapping, name="mapping"),
    path("<int:pk>/resume/", import_views.import_resume, name="resume"),
    path("<int:pk>/cancel/", import_views.import_cancel, name="cancel"),
    path("<int:pk>/results.csv", import_views.import_results, name="results"),
]
