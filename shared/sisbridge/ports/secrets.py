"""The secret store port: named secrets with numbered versions, read back through a `SecretRef`.

`put(name, value)` adds a new version (creating the secret on first use) and returns a reference
to exactly that version; the reference, never the value, is what other records keep. Older
versions stay readable until `delete(name)` removes the secret and all its versions.

Names are sanitised to Secret Manager's secret-id alphabet `[A-Za-z0-9_-]{1,255}`: a valid name
is kept as is; any other name has each run of other characters replaced by `_` and a short hash
of the original appended, so two different names never share a secret.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

from sisbridge.errors import InvalidRequest, SecretsError

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,255}")
LATEST = "latest"
MAX_VALUE_BYTES = 64 * 1024  # Secret Manager's payload limit
_REF_PATTERN = re.compile(r"secrets/(?P<name>[A-Za-z0-9_-]{1,255})/versions/(?P<version>[1-9][0-9]*|latest)")


def secret_name(raw: str) -> str:
    """The store name for `raw`: itself if already valid, else a cleaned form plus a hash."""
    if not isinstance(raw, str) or not raw:
        raise InvalidRequest("a secret needs a non-empty name")
    if NAME_PATTERN.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", raw).strip("_")[: 255 - len(digest) - 1]
    return f"{cleaned or 'secret'}-{digest}"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Points at one version of one secret. Safe to store and log: it holds no secret material."""

    name: str
    version: str

    def __post_init__(self) -> None:
        if not NAME_PATTERN.fullmatch(self.name):
            raise InvalidRequest(f"invalid secret name {self.name!r}")
        if self.version != LATEST and not (self.version.isdigit() and self.version[0] != "0"):
            raise InvalidRequest(f"invalid secret version {self.version!r}")

    def encode(self) -> str:
        """`secrets/<name>/versions/<n>`: Secret Manager's relative name without the project."""
        return f"secrets/{self.name}/versions/{self.version}"

    @classmethod
    def decode(cls, text: str) -> SecretRef:
        match = _REF_PATTERN.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidRequest(f"not a secret reference: {text!r}")
        return cls(name=match["name"], version=match["version"])

    def __str__(self) -> str:
        return self.encode()


class SecretStore(ABC):
    """Stores secret strings. Adapters raise `SecretNotFound` for a missing secret or version and
    `SecretsError` for every other failure; they never log or echo a value."""

    def put(self, name: str, value: str) -> SecretRef:
        """Add `value` as the newest version of `name` (created if absent)."""
        if not isinstance(value, str):
            raise TypeError("a secret value is a str")
        data = value.encode()
        if not data:
            raise InvalidRequest("a secret value cannot be empty")
        if len(data) > MAX_VALUE_BYTES:
            raise InvalidRequest(f"a secret value is at most {MAX_VALUE_BYTES} bytes")
        name = secret_name(name)
        return SecretRef(name=name, version=self._put(name, data))

    def get(self, ref: SecretRef) -> str:
        """The value of the referenced version (`latest` is the newest one)."""
        if not isinstance(ref, SecretRef):
            raise TypeError("get() takes a SecretRef; use SecretRef.decode() on stored text")
        data = self._get(ref.name, ref.version)
        try:
            return data.decode()
        except UnicodeDecodeError as exc:
            raise SecretsError(f"secret {ref} does not hold UTF-8 text") from exc

    def delete(self, name: str) -> None:
        """Remove the secret and every version; does nothing if it does not exist."""
        self._delete(secret_name(name))

    def exists(self, name: str) -> bool:
        return self._exists(secret_name(name))

    @abstractmethod
    def _put(self, name: str, data: bytes) -> str:
        """Store a new version; return its number as a string."""

    @abstractmethod
    def _get(self, name: str, version: str) -> bytes: ...

    @abstractmethod
    def _delete(self, name: str) -> None: ...

    @abstractmethod
    def _exists(self, name: str) -> bool: ...
