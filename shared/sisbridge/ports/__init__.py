"""Ports: the ABCs services depend on, and the plain data they exchange. Adapters implement them."""

from .secrets import SecretRef, SecretStore, secret_name
from .store import Document, DocumentStore, Filter, Txn

__all__ = ["Document", "DocumentStore", "Filter", "SecretRef", "SecretStore", "Txn", "secret_name"]
