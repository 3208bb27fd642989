from django.urls import include, path

urlpatterns = [
    path("", include("leadflow.web.urls")),
]
