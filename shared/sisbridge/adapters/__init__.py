"""Adapters: one module per technology and port, imported by `bootstrap` one by one.

    sqlite_store.SqliteDocumentStore        firestore_store.FirestoreDocumentStore     DocumentStore
    local_secrets.LocalSecretStore          secret_manager.SecretManagerSecretStore    SecretStore

Nothing is imported here, so the local stack never loads a Google SDK it does not use.
"""
