"""Render docs/vendors.md from the profiles, so the page never drifts from the code.

    python -m sisbridge.vendors.docs > docs/vendors.md
"""

from __future__ import annotations

from .profile import AuthMethod, VendorProfile
from .registry import PROFILES

EXAMPLE_HOST = "https://sis.example.org"


def _profile_section(p: VendorProfile) -> list[str]:
    lines = [f"## {p.name} (`{p.id}`)", "", p.partnership_text, ""]
    if p.licence:
        lines += [f"**Licence for grade write-back:** {p.licence}.", ""]
    host = p.host_url_example or EXAMPLE_HOST
    lines += ["| | |", "| --- | --- |", f"| Host URL example | `{host}` |"]
    for version in p.versions:
        ep = p.endpoints(host, version=version, auth=p.default_auth)
        bases = f"`{ep.rostering}`" if ep.rostering == ep.gradebook else f"`{ep.rostering}`, `{ep.gradebook}`"
        lines.append(f"| OneRoster {version.value} | {bases} |")
    auth = ", ".join("OAuth 2 client credentials" if a is AuthMethod.OAUTH2 else "OAuth 1.0a (HMAC-SHA256)"
                     for a in p.auth_methods)
    lines.append(f"| Auth (preferred first) | {auth} |")
    if AuthMethod.OAUTH2 in p.auth_methods:
        token = p.endpoints(host, auth=AuthMethod.OAUTH2).token_url
        lines.append(f"| Token URL when none is given | `{token}` (credentials in {p.credentials_in.value}) |")
    lim = p.limits
    lines += [
        f"| Title length limit | {lim.title_max_length or 'unknown'} |",
        f"| Page size asked / documented maximum | {lim.page_size} / {lim.max_page_size or 'unknown'} |",
        f"| Requests in flight per connection | {lim.max_concurrency} |",
        f"| DELETE supported | {'yes' if lim.supports_delete else 'no'} |",
        f"| Category required / grading period required | {'yes' if lim.category_required else 'no'} / "
        f"{'yes' if lim.grading_period_required else 'no'} |",
        f"| Vendor-hosted (SaaS) hosts | {', '.join(f'`{h}`' for h in p.saas_host_patterns) or 'unknown'} |",
    ]
    if p.extra_headers:
        lines.append(f"| Extra headers | {', '.join(f'`{h}`' for h in p.extra_headers)} |")
    lines += ["", "**Getting the credentials:**", ""]
    lines += [f"{i}. {step}" for i, step in enumerate(p.credential_steps, 1)]
    if p.unknowns:
        lines += ["", "**Not verified** (sisbridge falls back to generic OneRoster behaviour):", ""]
        lines += [f"- {u}" for u in p.unknowns]
    if p.sources:
        lines += ["", "Sources: " + "; ".join(p.sources) + "."]
    return lines + [""]


def render() -> str:
    lines = [
        "# SIS vendors",
        "",
        "Generated from `shared/sisbridge/vendors/registry.py` by `python -m sisbridge.vendors.docs`;",
        "a test fails when this page and the profiles disagree.",
        "",
    ]
    for profile in PROFILES.values():
        lines += _profile_section(profile)
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
