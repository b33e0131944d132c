"""`SecretStore` on the local disk, encrypted at rest: the embedded adapter for `make run`.

Each version is one file `<data_dir>/<name>/<version>.enc` holding `MAGIC | nonce | AES-256-GCM
ciphertext+tag`. The associated data binds the ciphertext to its secret name and version, so a
file copied or renamed onto another secret fails authentication instead of decrypting.

The 256-bit key lives in its own file, kept out of the data directory (neither may contain the
other) so that copying or backing up the data never carries the key. It is created on first use
with mode 0600 (directory 0700); a key file readable by group or others is refused.
"""

from __future__ import annotations

import os
import re
import secrets as random_bytes
import shutil
import stat
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sisbridge.errors import SecretNotFound, SecretsError
from sisbridge.ports.secrets import LATEST, SecretStore

MAGIC = b"SBSECv1\n"
KEY_BYTES = 32
NONCE_BYTES = 12
_VERSION_FILE = re.compile(r"([1-9][0-9]*)\.enc")


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _associated_data(name: str, version: str) -> bytes:
    return b"sisbridge-secret\x00" + name.encode() + b"\x00" + version.encode()


class LocalSecretStore(SecretStore):
    def __init__(self, data_dir: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> None:
        self._dir = Path(data_dir).expanduser().resolve()
        self._key_path = Path(key_path).expanduser().resolve()
        if _inside(self._key_path, self._dir) or _inside(self._dir, self._key_path.parent):
            raise SecretsError(
                f"the secrets key {self._key_path} must be kept apart from the data in {self._dir}",
                hint="Point the key directory and the data directory at separate places.",
            )
        self._aead: AESGCM | None = None

    # --------------------------------------------------------------------------------- key

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            self._aead = AESGCM(self._load_or_create_key())
        return self._aead

    def _load_or_create_key(self) -> bytes:
        try:
            if not self._key_path.exists():
                self._create_key()
            mode = stat.S_IMODE(self._key_path.stat().st_mode)
            if mode & 0o077:
                raise SecretsError(
                    f"the secrets key {self._key_path} is readable by others (mode {mode:o})",
                    hint=f"Run: chmod 600 {self._key_path}",
                )
            key = self._key_path.read_bytes()
        except OSError as exc:
            raise SecretsError(f"cannot read or create the secrets key {self._key_path}: {exc}") from exc
        if len(key) != KEY_BYTES:
            raise SecretsError(f"the secrets key {self._key_path} is not a {KEY_BYTES * 8}-bit key")
        return key

    def _create_key(self) -> None:
        self._key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self._key_path.with_name(f".{self._key_path.name}.{uuid.uuid4().hex}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(random_bytes.token_bytes(KEY_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temp, self._key_path)  # atomic; another process may have won the race
            except FileExistsError:
                pass
        finally:
            temp.unlink(missing_ok=True)

    # ------------------------------------------------------------------------------ files

    def _versions(self, name: str) -> list[int]:
        try:
            entries = os.listdir(self._dir / name)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SecretsError(f"cannot list secret {name}: {exc}") from exc
        return sorted(int(m[1]) for e in entries if (m := _VERSION_FILE.fullmatch(e)))

    def _put(self, name: str, data: bytes) -> str:
        cipher = self._cipher()
        folder = self._dir / name
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            while True:
                version = str(max(self._versions(name), default=0) + 1)
                nonce = random_bytes.token_bytes(NONCE_BYTES)
                blob = MAGIC + nonce + cipher.encrypt(nonce, data, _associated_data(name, version))
                temp = folder / f".tmp-{uuid.uuid4().hex}"
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(blob)
                        handle.flush()
                        os.fsync(handle.fileno())
                    os.link(temp, folder / f"{version}.enc")  # fails if a concurrent put took it
                    return version
                except FileExistsError:
                    continue
                finally:
                    temp.unlink(missing_ok=True)
        except OSError as exc:
            raise SecretsError(f"cannot write secret {name}: {exc}") from exc

    def _get(self, name: str, version: str) -> bytes:
        if version == LATEST:
            versions = self._versions(name)
            if not versions:
                raise SecretNotFound(f"no secret named {name}")
            version = str(versions[-1])
        try:
            blob = (self._dir / name / f"{version}.enc").read_bytes()
        except FileNotFoundError as exc:
            raise SecretNotFound(f"no version {version} of secret {name}") from exc
        except OSError as exc:
            raise SecretsError(f"cannot read secret {name}: {exc}") from exc
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
            raise SecretsError(f"secret {name} version {version} is not a sisbridge secret file")
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            return self._cipher().decrypt(
                nonce, blob[len(MAGIC) + NONCE_BYTES :], _associated_data(name, version)
            )
        except InvalidTag as exc:
            raise SecretsError(
                f"secret {name} version {version} failed authentication: altered, moved, or another key",
                hint="Store the secret again (reconnect the SIS); check the key file was not replaced.",
            ) from exc

    def _delete(self, name: str) -> None:
        try:
            shutil.rmtree(self._dir / name)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SecretsError(f"cannot delete secret {name}: {exc}") from exc

    def _exists(self, name: str) -> bool:
        return (self._dir / name).is_dir()
