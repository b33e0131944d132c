"""The sandbox's state: one independent district per vendor, the mounts that route to them, and knobs.

Each vendor in `PROFILES` is mounted at host URL `{server}/{vendor}`. Its OneRoster bases and token
path are derived by the vendor's own `profile.endpoints()`, exactly as a client derives them from
that host URL, so a path mismatch between client and sandbox shows up as a 404. A token URL on a
foreign host (Capita SIMS's `https://sts.sims.co.uk/connect/token`) is served at
`/{vendor}/<its path>`; pass it to the client as the explicit token URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sisbridge.vendors import PROFILES, AuthMethod, Endpoints, OneRosterVersion, VendorProfile

from .auth import Authenticator
from .config import Knobs, SandboxConfig
from .faults import Stats, Traffic
from sisbridge.sandbox import seed

from .roster import SEED_TIME, Bases, Roster, add_section, build_roster
from .store import SEED, Gradebook, seeded_gradebook

_DUMMY = "http://sandbox"


@dataclass(frozen=True, slots=True)
class Mount:
    prefix: str  # path of a service base, e.g. /aspen/ims/oneroster/v1p1
    vendor: str
    version: OneRosterVersion
    services: frozenset[str]  # {"rostering", "gradebook"}; both for 1.1 and flat 1.2


def served_paths(profile: VendorProfile, host_path: str, version: OneRosterVersion) -> tuple[Bases, str]:
    """The (rostering, gradebook) base paths and the token path for `host_path` on this server."""
    ep = profile.endpoints(_DUMMY + host_path, version=version, auth=AuthMethod.OAUTH2)
    token = urlsplit(ep.token_url or "")
    token_path = token.path if f"{token.scheme}://{token.netloc}" == _DUMMY else host_path + token.path
    return Bases(urlsplit(ep.rostering).path, urlsplit(ep.gradebook).path), token_path


class VendorState:
    """One vendor's district: read-only rosters per version and one gradebook shared by both versions."""

    def __init__(self, profile: VendorProfile) -> None:
        self.profile = profile
        self.bases: dict[OneRosterVersion, Bases] = {}
        self.rosters: dict[OneRosterVersion, Roster] = {}
        for version in profile.versions:
            self.bases[version], _ = served_paths(profile, f"/{profile.id}", version)
            self.rosters[version] = build_roster(version, self.bases[version])
        self.gradebook = Gradebook()
        self.reset()

    @property
    def id(self) -> str:
        return self.profile.id

    def reset(self) -> None:
        """Back to the seed: classes added at run time are dropped."""
        for version in self.profile.versions:
            self.rosters[version] = build_roster(version, self.bases[version])
        default = self.profile.default_version
        self.gradebook.load(seeded_gradebook(self.rosters[default], self.bases[default]))

    def add_class(self, sec: seed.Section, people: list[seed.Person]) -> None:
        for version, roster in self.rosters.items():
            add_section(roster, self.bases[version], sec, people)
        for n, title in enumerate(sec.categories, 1):
            self.gradebook.categories.put(
                {"sourcedId": f"cat-{sec.class_sourced_id}-{n}", "status": "active", "dateLastModified": SEED_TIME,
                 "title": title, "metadata": {"classId": sec.class_sourced_id}},
                origin=SEED, class_id=sec.class_sourced_id)


class SisSandbox:
    """What `app.extensions["sis_sandbox"]` holds: state, knobs, counters and admin operations."""

    def __init__(self, config: SandboxConfig) -> None:
        ids = tuple(PROFILES) if config.vendors is None else tuple(config.vendors)
        unknown = [v for v in ids if v not in PROFILES]
        if unknown:
            raise ValueError(f"unknown vendors {unknown}; choose from {', '.join(PROFILES)}")
        if config.root_vendor is not None and config.root_vendor not in ids:
            raise ValueError(f"root_vendor {config.root_vendor!r} is not among the served vendors")
        self.initial = config
        self._knobs = Knobs.from_config(config)
        self.counters = Stats()
        self.traffic = Traffic(self._knobs, config.seed, self.counters)
        self.auth = Authenticator(self._knobs)
        self.vendors = {vid: VendorState(PROFILES[vid]) for vid in ids}
        self.mounts: list[Mount] = []
        self.token_paths: dict[str, str] = {}  # path -> vendor id
        for vid in ids:
            self._mount(vid, f"/{vid}")
        if config.root_vendor is not None:
            self._mount(config.root_vendor, "")
        self.mounts.sort(key=lambda m: len(m.prefix), reverse=True)

    def _mount(self, vid: str, host_path: str) -> None:
        profile = PROFILES[vid]
        for version in profile.versions:
            bases, token_path = served_paths(profile, host_path, version)
            pairs = [(bases.rostering, {"rostering", "gradebook"})] if bases.rostering == bases.gradebook \
                else [(bases.rostering, {"rostering"}), (bases.gradebook, {"gradebook"})]
            for prefix, services in pairs:
                if any(m.prefix == prefix for m in self.mounts):
                    raise ValueError(f"two mounts at {prefix}")
                self.mounts.append(Mount(prefix, vid, version, frozenset(services)))
            self.token_paths[token_path] = vid

    # -- knobs ---------------------------------------------------------------------------------
    @property
    def config(self) -> Knobs:
        """The live knobs; set attributes (`sandbox.config.latency_ms = 20`) or assign a new config."""
        return self._knobs

    @config.setter
    def config(self, value: Knobs | SandboxConfig) -> None:
        source = Knobs.from_config(value) if isinstance(value, SandboxConfig) else value
        self._knobs.update(source.as_dict())

    # -- admin ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Every vendor back to the seed, counters zeroed, knobs back to the start-up config.

        Issued tokens stay valid (use `revoke_tokens` to drop them).
        """
        for vendor in self.vendors.values():
            vendor.reset()
        self._knobs.update(Knobs.from_config(self.initial).as_dict())
        self.traffic.reseed()
        self.counters.reset()

    def stats(self) -> dict[str, Any]:
        return self.counters.snapshot()

    def gradebook(self, vendor: str) -> dict[str, list[dict[str, Any]]]:
        """Raw categories, lineItems and results, deleted ones included (`_deleted: true`)."""
        return self.vendors[vendor].gradebook.raw()

    def revoke_tokens(self) -> int:
        return self.auth.revoke_all()

    # -- routing -------------------------------------------------------------------------------
    def find_mount(self, path: str) -> tuple[Mount, str] | None:
        for mount in self.mounts:
            if path == mount.prefix or path.startswith(mount.prefix + "/"):
                return mount, path[len(mount.prefix):]
        return None

    def endpoints(self, server_url: str, vendor: str, version: OneRosterVersion | None = None) -> Endpoints:
        """The URLs a client should use for `vendor` on this server (token URL included)."""
        profile = PROFILES[vendor]
        version = version or profile.default_version
        _, token_path = served_paths(profile, f"/{vendor}", version)
        server_url = server_url.rstrip("/")
        return profile.endpoints(f"{server_url}/{vendor}", version=version, auth=AuthMethod.OAUTH2,
                                 token_url=server_url + token_path)
