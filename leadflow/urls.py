from django.urls import include, path

from leadflow.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("leads/", include("leadflow.leads.urls")),
    path("scoring/", include("leadflow.scoring.urls")),
    path("duplicates/", include("leadflow.identity.urls")),
    path("routing/", include("leadflow.routing.urls")),
    path("", include("leadflow.sales.urls")),
    path("", include("leadflow.activities.urls")),
    path("imports/", include("leadflow.intake.import_urls")),
    path("", include("leadflow.intake.urls")),
    path("", include("leadflow.web.urls")),
]
