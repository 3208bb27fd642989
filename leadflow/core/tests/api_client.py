"""A test client for the REST API that authenticates with a real bearer token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from leadflow.accounts.models import User
from leadflow.accounts.services import token_create

PREFIX = "/api/v1"


class ApiClient:
    def __init__(self, user: User | None = None) -> None:
        headers = {}
        if user is not None:
            _token, raw = token_create(actor=None, user=user)
            headers["Authorization"] = f"Bearer {raw}"
        self.user = user
        self.client = Client(headers=headers)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(PREFIX + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(PREFIX + path, data, content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(PREFIX + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete(PREFIX + path)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        if method == "GET":
            return self.get(path)
        if method == "DELETE":
            return self.delete(path)
        if method == "PATCH":
            return self.patch(path, body)
        return self.post(path, body)
