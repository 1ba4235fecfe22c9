"""The web app: pages and the JSON API, thin over the service layer."""

from frankly.web.app import create_app
from frankly.web.auth import ensure_demo_admin

__all__ = ["create_app", "ensure_demo_admin"]
