"""OAuth apps: the model (`model`: Mattermost's OAuthApp and its validation) and the operations of
Integrations > OAuth 2.0 Applications (`service`)."""
from .model import App, AppRequest, validate_app

__all__ = ["App", "AppRequest", "validate_app"]
