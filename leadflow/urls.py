from django.urls import include, path

from leadflow.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("leadflow.web.urls")),
]
