"""The web app: pages and the JSON API, thin over the service layer."""

from frankly.web.app import create_app

__all__ = ["create_app"]
