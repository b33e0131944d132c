"""Contract of the `SecretStore` port, run against the local store and Secret Manager (drongo)."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from sisbridge.adapters.local_secrets import KEY_BYTES, LocalSecretStore
from sisbridge.errors import InvalidRequest, SecretNotFound, SecretsError
from sisbridge.ports.secrets import NAME_PATTERN, SecretRef, SecretStore, secret_name

VALUE = "s3cr3t-Zoë-✓-0123456789abcdef"


# ------------------------------------------------------------------------------------- contract


def test_put_then_get(secrets: SecretStore) -> None:
    ref = secrets.put("sis-tenant1", VALUE)
    assert ref == SecretRef(name="sis-tenant1", version="1")
    assert secrets.get(ref) == VALUE
    assert secrets.exists("sis-tenant1")


def test_a_new_version_wins_and_old_versions_stay_readable(secrets: SecretStore) -> None:
    first = secrets.put("sis-tenant1", "old")
    second = secrets.put("sis-tenant1", "new")
    assert (first.version, second.version) == ("1", "2")
    assert secrets.get(SecretRef(name="sis-tenant1", version="latest")) == "new"
    assert secrets.get(second) == "new"
    assert secrets.get(first) == "old"


def test_secrets_are_independent(secrets: SecretStore) -> None:
    a = secrets.put("sis-a", "value-a")
    b = secrets.put("sis-b", "value-b")
    secrets.delete("sis-a")
    assert secrets.get(b) == "value-b"
    with pytest.raises(SecretNotFound):
        secrets.get(a)


def test_missing_secrets_and_versions_raise_secret_not_found(secrets: SecretStore) -> None:
    assert not secrets.exists("never-stored")
    with pytest.raises(SecretNotFound):
        secrets.get(SecretRef(name="never-stored", version="latest"))
    ref = secrets.put("sis-tenant1", VALUE)
    with pytest.raises(SecretNotFound):
        secrets.get(SecretRef(name=ref.name, version="7"))


def test_delete_is_idempotent_and_removes_every_version(secrets: SecretStore) -> None:
    first = secrets.put("sis-tenant1", "one")
    second = secrets.put("sis-tenant1", "two")
    secrets.delete("sis-tenant1")
    secrets.delete("sis-tenant1")
    secrets.delete("never-stored")
    assert not secrets.exists("sis-tenant1")
    for ref in (first, second, SecretRef(name="sis-tenant1", version="latest")):
        with pytest.raises(SecretNotFound):
            secrets.get(ref)
    again = secrets.put("sis-tenant1", "fresh")  # a deleted name can be used again
    assert secrets.get(again) == "fresh"


@pytest.mark.parametrize("raw", ["tenant:C01abc/sis key", "école.example.com", "x" * 300, "a/b", "a:b"])
def test_names_are_sanitised_to_secret_manager_ids(secrets: SecretStore, raw: str) -> None:
    ref = secrets.put(raw, VALUE)
    assert NAME_PATTERN.fullmatch(ref.name)
    assert ref.name == secret_name(raw)
    assert secrets.exists(raw)
    assert secrets.get(ref) == VALUE
    secrets.delete(raw)
    assert not secrets.exists(raw)


def test_distinct_names_never_share_a_secret(secrets: SecretStore) -> None:
    refs = [secrets.put(name, name) for name in ("a/b", "a:b", "a_b", "a b")]
    assert len({r.name for r in refs}) == 4
    assert [secrets.get(r) for r in refs] == ["a/b", "a:b", "a_b", "a b"]


def test_values_are_validated(secrets: SecretStore) -> None:
    with pytest.raises(InvalidRequest):
        secrets.put("sis-tenant1", "")
    with pytest.raises(InvalidRequest):
        secrets.put("sis-tenant1", "x" * (64 * 1024 + 1))
    with pytest.raises(InvalidRequest):
        secrets.put("", VALUE)
    assert not secrets.exists("sis-tenant1")


# ----------------------------------------------------------------------------- the ref (port)


def test_secret_refs_encode_and_decode() -> None:
    ref = SecretRef(name="sis-tenant1", version="3")
    assert ref.encode() == "secrets/sis-tenant1/versions/3" == str(ref)
    assert SecretRef.decode(ref.encode()) == ref
    for bad in (
        "sis-tenant1",
        "secrets/a b/versions/1",
        "secrets/x/versions/0",
        "projects/p/secrets/x/versions/1",
    ):
        with pytest.raises(InvalidRequest):
            SecretRef.decode(bad)
    with pytest.raises(InvalidRequest):
        SecretRef(name="x", version="-1")


def test_secret_names_keep_valid_names_and_hash_the_others() -> None:
    assert secret_name("already_valid-Name1") == "already_valid-Name1"
    cleaned = secret_name("tenant:C01abc/sis key")
    assert cleaned.startswith("tenant_C01abc_sis_key-") and len(cleaned) == len("tenant_C01abc_sis_key-") + 12
    assert len(secret_name("y" * 1000)) == 255


# ---------------------------------------------------------------------- local store at rest


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_local_data_never_holds_the_plaintext_or_the_key(tmp_path: Path) -> None:
    data, key = tmp_path / "data" / "secrets", tmp_path / "keys" / "secrets.key"
    store = LocalSecretStore(data, key)
    for i in range(3):
        store.put("sis-tenant1", f"{VALUE}-{i}")
    store.put("tenant:with/odd name", VALUE)
    stored = files_under(data)
    assert len(stored) == 4
    key_bytes = key.read_bytes()
    for path in stored:
        blob = path.read_bytes()
        assert VALUE.encode() not in blob and VALUE.encode("utf-16-le") not in blob
        assert key_bytes not in blob
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not any(p.name == key.name for p in stored)


def test_local_key_file_is_private_and_outside_the_data(tmp_path: Path) -> None:
    data, key = tmp_path / "data" / "secrets", tmp_path / "keys" / "secrets.key"
    ref = LocalSecretStore(data, key).put("sis-tenant1", VALUE)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == KEY_BYTES
    assert data.resolve() not in key.resolve().parents
    assert LocalSecretStore(data, key).get(ref) == VALUE  # the same key is reused


@pytest.mark.parametrize(("data", "key"), [("d", "d/key"), ("d", "d/sub/key"), ("k/data", "k/key")])
def test_local_store_refuses_a_key_mixed_with_the_data(tmp_path: Path, data: str, key: str) -> None:
    with pytest.raises(SecretsError, match="apart"):
        LocalSecretStore(tmp_path / data, tmp_path / key)


def test_local_key_created_once_under_concurrency(tmp_path: Path) -> None:
    stores = [LocalSecretStore(tmp_path / "data", tmp_path / "keys" / "k") for _ in range(4)]
    refs: dict[int, SecretRef] = {}

    def put(i: int) -> None:
        refs[i] = stores[i].put(f"s{i}", f"value-{i}")

    threads = [threading.Thread(target=put, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = LocalSecretStore(tmp_path / "data", tmp_path / "keys" / "k")
    assert [reader.get(refs[i]) for i in range(4)] == [f"value-{i}" for i in range(4)]


def test_local_concurrent_puts_get_distinct_versions(local_secrets: LocalSecretStore) -> None:
    results: list[SecretRef] = []
    lock = threading.Lock()

    def put(i: int) -> None:
        ref = local_secrets.put("shared", f"v{i}")
        with lock:
            results.append(ref)

    threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(r.version) for r in results) == list(range(1, 9))
    assert sorted(local_secrets.get(r) for r in results) == sorted(f"v{i}" for i in range(8))


def test_local_tampered_ciphertext_is_an_error_not_garbage(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path / "data", tmp_path / "keys" / "k")
    ref = store.put("sis-tenant1", VALUE)
    (path,) = files_under(tmp_path / "data")
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(SecretsError, match="failed authentication") as caught:
        store.get(ref)
    assert not isinstance(caught.value, SecretNotFound)
    path.write_bytes(b"not a secret file")
    with pytest.raises(SecretsError):
        store.get(ref)


def test_local_swapped_files_are_rejected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = LocalSecretStore(data, tmp_path / "keys" / "k")
    a = store.put("sis-a", "value-a")
    b = store.put("sis-b", "value-b")
    b2 = store.put("sis-b", "value-b2")
    shutil.copyfile(data / "sis-a" / "1.enc", data / "sis-b" / "1.enc")  # another secret's file
    with pytest.raises(SecretsError, match="failed authentication"):
        store.get(b)
    shutil.copyfile(data / "sis-b" / "2.enc", data / "sis-a" / "1.enc")  # another version's file
    with pytest.raises(SecretsError, match="failed authentication"):
        store.get(a)
    assert store.get(b2) == "value-b2"


def test_local_another_key_cannot_read_the_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ref = LocalSecretStore(data, tmp_path / "keys" / "k1").put("sis-tenant1", VALUE)
    with pytest.raises(SecretsError, match="failed authentication"):
        LocalSecretStore(data, tmp_path / "keys2" / "k2").get(ref)


def test_local_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "k"
    store = LocalSecretStore(tmp_path / "data", key)
    store.put("sis-tenant1", VALUE)
    os.chmod(key, 0o644)
    with pytest.raises(SecretsError, match="readable by others"):
        LocalSecretStore(tmp_path / "data", key).put("sis-tenant1", VALUE)


# -------------------------------------------------------------- Secret Manager translation


@pytest.mark.emulator
def test_secret_manager_disabled_version_is_not_found(secret_manager_client: Any, drongo: Any) -> None:
    from sisbridge.adapters.secret_manager import LABELS, SecretManagerSecretStore

    from tests import emulators

    emulators.reset_drongo(drongo)
    store = SecretManagerSecretStore(secret_manager_client, emulators.SECRETS_PROJECT)
    first = store.put("sis-tenant1", "one")
    second = store.put("sis-tenant1", "two")
    secret = secret_manager_client.get_secret(
        name=f"projects/{emulators.SECRETS_PROJECT}/secrets/sis-tenant1"
    )
    assert dict(secret.labels) == LABELS
    secret_manager_client.disable_secret_version(name=f"{secret.name}/versions/{second.version}")
    with pytest.raises(SecretNotFound):
        store.get(second)
    assert store.get(first) == "one"
