"""A client library for accessing Run:ai token API"""

from .client import AuthenticatedClient, Client

CONTRACT_VERSION = "2.18-2.24"

__all__ = (
    "AuthenticatedClient",
    "Client",
)
