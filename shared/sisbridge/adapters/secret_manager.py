"""`SecretStore` on Google Secret Manager, through google-cloud-secret-manager.

`bootstrap` builds the client: the default one in production, or one on `transport="rest"`
pointed at a local emulator for tests. Secrets are created with automatic replication and a
`managed-by: sisbridge` label. The service account needs `roles/secretmanager.admin` on the
project (create, add versions, delete) or, per secret, `secretAccessor` plus `secretVersionAdder`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.cloud import secretmanager

from sisbridge.errors import SecretNotFound, SecretsError
from sisbridge.ports.secrets import SecretStore

LABELS = {"managed-by": "sisbridge"}
_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,  # includes DeadlineExceeded
    gexc.InternalServerError,
    gexc.TooManyRequests,  # includes ResourceExhausted
    gexc.Aborted,
    gexc.RetryError,
    auth_exc.TransportError,
)


@contextmanager
def _translated(what: str, *, access: bool = False) -> Iterator[None]:
    try:
        yield
    except gexc.NotFound as exc:
        raise SecretNotFound(f"{what}: not found") from exc
    except (gexc.FailedPrecondition, gexc.BadRequest) as exc:
        if not access:
            raise SecretsError(f"{what}: Secret Manager refused the request ({exc})") from exc
        # a disabled or destroyed version (the emulator answers 400 where Google answers 412)
        raise SecretNotFound(f"{what}: the version is disabled or destroyed ({exc.message})") from exc
    except _TRANSIENT as exc:
        raise SecretsError(f"{what}: Secret Manager is unavailable ({exc})", retryable=True) from exc
    except (gexc.PermissionDenied, gexc.Unauthenticated, auth_exc.GoogleAuthError) as exc:
        raise SecretsError(
            f"{what}: Secret Manager refused the call ({exc})",
            hint="Check the service account's Secret Manager roles and that the API is enabled.",
        ) from exc
    except gexc.GoogleAPIError as exc:
        raise SecretsError(f"{what}: Secret Manager failed ({exc})") from exc


class SecretManagerSecretStore(SecretStore):
    def __init__(self, client: secretmanager.SecretManagerServiceClient, project: str) -> None:
        if not project:
            raise SecretsError("Secret Manager needs a project id")
        self._client = client
        self._project = project

    def _secret(self, name: str) -> str:
        return f"projects/{self._project}/secrets/{name}"

    def _add_version(self, name: str, data: bytes) -> str:
        version = self._client.add_secret_version(
            request={"parent": self._secret(name), "payload": {"data": data}}
        )
        return str(version.name.rsplit("/", 1)[-1])

    def _put(self, name: str, data: bytes) -> str:
        try:
            with _translated(f"adding a version to secret {name}"):
                return self._add_version(name, data)
        except SecretNotFound:
            pass  # first use: create the secret, then add the version
        with _translated(f"creating secret {name}"):
            try:
                self._client.create_secret(
                    request={
                        "parent": f"projects/{self._project}",
                        "secret_id": name,
                        "secret": {"replication": {"automatic": {}}, "labels": LABELS},
                    }
                )
            except gexc.Conflict as exc:  # AlreadyExists, or the emulator's 409: a concurrent put won
                if isinstance(exc, gexc.Aborted):
                    raise
        with _translated(f"adding a version to secret {name}"):
            return self._add_version(name, data)

    def _get(self, name: str, version: str) -> bytes:
        with _translated(f"reading secret {name} version {version}", access=True):
            response = self._client.access_secret_version(
                request={"name": f"{self._secret(name)}/versions/{version}"}
            )
        return bytes(response.payload.data)

    def _delete(self, name: str) -> None:
        try:
            with _translated(f"deleting secret {name}"):
                self._client.delete_secret(request={"name": self._secret(name)})
        except SecretNotFound:
            pass

    def _exists(self, name: str) -> bool:
        try:
            with _translated(f"looking up secret {name}"):
                self._client.get_secret(request={"name": self._secret(name)})
        except SecretNotFound:
            return False
        return True
