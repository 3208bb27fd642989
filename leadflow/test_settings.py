"""Settings for the test suite: the real settings with fast, local, deterministic pieces."""

from leadflow.settings import *  # noqa: F403
from leadflow.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Throttling tests switch it back on for themselves.
AXES_ENABLED = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
LEADFLOW_DEFAULT_REGION = "GB"
