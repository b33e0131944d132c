"""Vendor profiles: what each SIS needs, as data."""

from .profile import (
    AuthMethod,
    CategorySource,
    CredentialPlacement,
    Endpoints,
    Layout12,
    Limits,
    OneRosterVersion,
    Partnership,
    VendorProfile,
)
from .registry import PROFILES, get_profile

__all__ = [
    "PROFILES",
    "AuthMethod",
    "CategorySource",
    "CredentialPlacement",
    "Endpoints",
    "Layout12",
    "Limits",
    "OneRosterVersion",
    "Partnership",
    "VendorProfile",
    "get_profile",
]
