"""OAuth 2.0: the authorization-code login with a local callback, and the token manager that
refreshes under a lease and persists before use."""

from connector.auth.login import CallbackParams, LoginError, redirect_uri_for, run_login
from connector.auth.tokens import (
    ConsentNeeded,
    Refresher,
    TokenCommitConflict,
    TokenEndpointError,
    TokenError,
    TokenLeaseTimeout,
    TokenManager,
    TokenRefreshUnknown,
    TokenResponse,
    TokenStore,
)

__all__ = [
    "CallbackParams",
    "ConsentNeeded",
    "LoginError",
    "Refresher",
    "TokenCommitConflict",
    "TokenEndpointError",
    "TokenError",
    "TokenLeaseTimeout",
    "TokenManager",
    "TokenRefreshUnknown",
    "TokenResponse",
    "TokenStore",
    "redirect_uri_for",
    "run_login",
]
