"""Which SIS host URLs sisbridge will call: no plain HTTP, no internal addresses (SSRF).

An admin types the host URL, so it is untrusted input that makes sisbridge issue requests from
inside the district's cloud project. The URL must be https and every address its host resolves
to must be public. `allow_insecure` (local use only, refused on Cloud Functions by `config.py`)
permits http and loopback so the sandboxes work; link-local and cloud metadata addresses stay
blocked whatever the setting.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

from sisbridge.errors import InvalidRequest, SisUnreachable

Resolver = Callable[[str, int], Iterable[str]]

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "metadata.goog"})
_MAX_URL = 2048
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def parse_host_url(raw: str, *, allow_insecure: bool, field: str = "host_url") -> str:
    """Syntax only: an absolute http(s) URL with a host, no credentials, no query or fragment."""
    text = raw.strip()
    if not text or len(text) > _MAX_URL:
        raise InvalidRequest("The host URL is empty or too long.", hint="Paste the URL your SIS gave you.",
                             field=field)
    if "://" not in text:
        text = "https://" + text  # admins paste bare host names
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidRequest("The host URL is not a valid URL.", hint="Check it for typos and stray characters.",
                             field=field) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidRequest("The host URL must start with https:// and name a host.",
                             hint="For example https://district.infinitecampus.org", field=field)
    if any(c.isspace() for c in text) or not _valid_host(parts.hostname):
        raise InvalidRequest("The host URL is not a valid URL.",
                             hint="Check it for typos and stray characters.", field=field)
    if parts.scheme == "http" and not allow_insecure:
        raise InvalidRequest("The host URL must use https.",
                             hint="Grades and credentials travel to this URL; ask your SIS for its https address.",
                             field=field)
    if parts.username or parts.password:
        raise InvalidRequest("The host URL must not contain a user name or password.",
                             hint="Enter the access key and secret code in their own fields.", field=field)
    if parts.query or parts.fragment:
        raise InvalidRequest("The host URL must not have a query (?…) or fragment (#…).",
                             hint="Remove everything from ? or # on.", field=field)
    netloc = parts.hostname.lower() + (f":{port}" if port else "")
    if ":" in parts.hostname:  # IPv6 literal
        netloc = f"[{parts.hostname}]" + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _valid_host(host: str) -> bool:
    """An IP literal, or a DNS name (IDNA allowed) of letters, digits, '-' and '_' labels."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.removesuffix(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def _blocked(address: str, *, allow_insecure: bool) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_link_local or str(ip) in ("169.254.169.254", "fd00:ec2::254"):
        return "a link-local or cloud metadata address"
    if ip.is_loopback:
        return None if allow_insecure else "a loopback address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        return "a private or reserved address"
    return None


def check_destination(url: str, *, allow_insecure: bool, resolver: Resolver = system_resolver,
                      field: str = "host_url") -> list[str]:
    """Resolve the URL's host and refuse internal destinations. Returns the addresses."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in METADATA_HOSTS or host.endswith(".internal"):
        raise InvalidRequest("The host URL points at the cloud metadata service.",
                             hint="Enter your SIS's public address.", field=field)
    try:
        addresses = list(resolver(host, parts.port or (443 if parts.scheme == "https" else 80)))
    except (OSError, UnicodeError) as exc:
        raise SisUnreachable(f"The SIS host {host} could not be found (DNS lookup failed).",
                             hint="Check the host URL for typos; if it is right, the SIS's DNS may be down.",
                             url=url) from exc
    if not addresses:
        raise SisUnreachable(f"The SIS host {host} has no addresses.", hint="Check the host URL.", url=url)
    for address in addresses:
        reason = _blocked(address, allow_insecure=allow_insecure)
        if reason:
            raise InvalidRequest(f"The host URL resolves to {reason} ({address}); sisbridge only calls public SIS hosts.",
                                 hint="Enter your SIS's public https address.", field=field)
    return addresses
