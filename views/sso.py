"""Single sign-on settings and claim handling, apart from Streamlit so they are tested directly.

Configured in `.streamlit/secrets.toml` beside Streamlit's own OIDC settings:

    [auth]
    redirect_uri = "https://audit.example.org/oauth2callback"
    cookie_secret = "..."
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://idp.example.org/.well-known/openid-configuration"
    role_claim = "groups"                # optional, the claim holding the user's groups

    [auth.roles]                         # identity-provider group -> dashboard role
    "coding-managers" = "coding_manager"
    "compliance" = "compliance_officer"

The mapping may instead come from CODEAUDIT_SSO_ROLES (JSON object). Streamlit keeps the identity
in a cookie for up to 30 days; this dashboard has no "remember me", so an identity is accepted only
while it is fresh (issued within the idle timeout) and the user signs in again otherwise.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from config import settings as config_settings
from config.settings import ConfigurationError

ROLES_ENV = config_settings.SSO_ROLES


@dataclass(frozen=True)
class SsoSettings:
    mapping: dict[str, str]
    claim: str


def settings(auth: Mapping[str, object] | None, environ: Mapping[str, str] | None = None) -> SsoSettings | None:
    """The SSO settings from the secrets' [auth] table, or None when SSO is not configured."""
    if not auth or "redirect_uri" not in auth or "cookie_secret" not in auth:
        return None
    mapping: object = auth.get("roles") or config_settings.load(environ).sso_roles
    if not isinstance(mapping, Mapping) or not mapping:
        raise ConfigurationError(
            f"Single sign-on is configured but no group-to-role mapping is: add an [auth.roles] table to "
            f"secrets.toml or set {ROLES_ENV} to a JSON object such as {{\"coding-managers\": \"coding_manager\"}}."
        )
    return SsoSettings({str(k): str(v) for k, v in mapping.items()}, str(auth.get("role_claim", "groups")))


def fresh(claims: Mapping[str, object], now: datetime, max_age: timedelta) -> bool:
    """Was this identity issued (ID token `iat`) within `max_age`? Without `iat` it cannot be shown fresh."""
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)):
        return False
    age = now.timestamp() - float(issued)
    return -60 <= age < max_age.total_seconds()


def subject(claims: Mapping[str, object]) -> tuple[str, str]:
    """(name for the access log, name to show): the provider's unique subject, and the e-mail or name."""
    sub = str(claims.get("sub") or "")
    if not sub:
        raise ConfigurationError("The identity provider sent no 'sub' claim, so the user cannot be identified uniquely.")
    shown = str(claims.get("email") or claims.get("name") or sub)
    return f"sso:{sub}", shown
