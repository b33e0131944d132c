"""Who may do what: tenants come from the caller's Workspace domain, admins from tenant settings."""

from __future__ import annotations

from sisbridge.bootstrap import Deps
from sisbridge.errors import Forbidden
from sisbridge.identity import Caller
from sisbridge.repositories import Tenant, TenantRepository


def tenant_of(caller: Caller, deps: Deps) -> Tenant:
    """The caller's tenant, created on first sight with the admins `SISBRIDGE_ADMINS` names for it."""
    tenant = deps.tenants.get(caller.tenant)
    if tenant is not None:
        return tenant
    admins = tuple(sorted(a for a in deps.settings.admins if a.endswith("@" + caller.tenant)))
    created = deps.tenants.create(Tenant(tenant_id=caller.tenant, domain=caller.tenant, admins=admins))
    return created or deps.tenants.get(caller.tenant) or Tenant(tenant_id=caller.tenant, admins=admins)


def require_admin(caller: Caller, deps: Deps) -> Tenant:
    tenant = tenant_of(caller, deps)
    if not tenant.is_admin(caller.email):
        raise Forbidden(
            "Only an administrator of this domain can manage the SIS connection.",
            hint="Ask your Workspace administrator to add you to sisbridge's admins (SISBRIDGE_ADMINS).",
        )
    return tenant


def grant_admin(tenants: TenantRepository, email: str) -> None:
    """Make `email` an admin of its own domain (local sign-in and `sisbridge token --admin` only)."""
    domain = email.rsplit("@", 1)[-1]
    tenant = tenants.get(domain)
    if tenant is None:
        tenants.create(Tenant(tenant_id=domain, domain=domain, admins=(email,)))
    elif not tenant.is_admin(email):
        tenants.add_admin(domain, email)
