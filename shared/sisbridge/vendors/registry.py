"""The seven SIS profiles sisbridge ships. Sources are in each profile; unverified facts in `unknowns`."""

from __future__ import annotations

from sisbridge.errors import InvalidRequest

from .profile import (
    AuthMethod,
    CategorySource,
    CredentialPlacement,
    Layout12,
    Limits,
    OneRosterVersion,
    Partnership,
    VendorProfile,
)

V11, V12 = OneRosterVersion.V1P1, OneRosterVersion.V1P2
OAUTH2, OAUTH1 = AuthMethod.OAUTH2, AuthMethod.OAUTH1

WORKSPACE_LICENCE = (
    "Since July 2024 each exporting teacher also needs Google Workspace for Education Plus, "
    "G Suite Enterprise for Education or the Teaching and Learning Upgrade."
)

INFINITE_CAMPUS = VendorProfile(
    id="infinite_campus",
    name="Infinite Campus",
    versions=(V12, V11),
    auth_methods=(OAUTH2,),  # OAuth 1.0a unsupported since 2023-06-30
    path_prefix="/campus/api",
    token_path="/campus/oauth2/token",
    extra_headers=("X-Vendor-Authorization",),
    limits=Limits(title_max_length=50, page_size=1000, max_page_size=50_000, max_concurrency=5),
    saas_host_patterns=("*.infinitecampus.org", "*.infinitecampus.com"),
    partnership=Partnership.PARTNER,
    partnership_text="Partner: supported with the Campus Learning licence (a one-time 45-day provisional licence can be requested).",
    licence="Campus Learning",
    credential_steps=(
        "In Infinite Campus, open System Administration › Campus Learning › OneRoster Tools › Grading Services and tick Client Enabled.",
        "Open Digital Learning Applications › Add application › Google Classroom (or a custom application) and choose Generate New OneRoster Credentials.",
        "Copy the OneRoster Base URL into Host URL, the Consumer key (OAuth key) into Access key and the Consumer secret into Secret code.",
        "The key and secret expire after one year by default: note the Token Expiration Date and renew the secret before it.",
    ),
    host_url_example="https://district.infinitecampus.org",
    unknowns=(
        "the exact 1.2 gradebook base (…/campus/api/ims/oneroster/gradebook/v1p2 is assumed by analogy with rostering)",
        "the token URL's appName query parameter, which depends on the district's application name",
        "Infinite Campus's error bodies and required lineItem fields",
        "rate limits beyond the published concurrency guidance (no concurrency at peak, at most 5 off-peak)",
    ),
    sources=("kb.infinitecampus.com/help/guidelines-for-oneroster-api-consumers", "kb.infinitecampus.com/help/oneroster-migration-instructions"),
)

SKYWARD = VendorProfile(
    id="skyward",
    name="Skyward (SMS 2.0 and Qmlativ)",
    versions=(V11, V12),
    auth_methods=(OAUTH2, OAUTH1),
    layout_1p2=Layout12.FLAT,
    default_category_title="Assignments",
    limits=Limits(title_max_length=50, page_size=1000, max_page_size=1000, max_concurrency=4,
                  grading_period_required=True, whole_number_points=True),
    saas_host_patterns=("*.skyward.com", "*.iscorp.com"),
    partnership=Partnership.PARTNER,
    partnership_text="Partner: Skyward SMS 2.0 with the LMS API licence; Skyward Qmlativ with the OneRoster API licence.",
    licence="LMS API (SMS 2.0) or OneRoster API (Qmlativ)",
    credential_steps=(
        "SMS 2.0: create sisbridge as a Secured User (Organization), then press API › Generate a New Secret to get the key and secret.",
        "SMS 2.0: copy the OneRoster API URL from District Setup › Configuration › API Configuration into Host URL. If you only have the Application URL, paste it: sisbridge appends /ims/oneroster/v1p1/.",
        "Qmlativ: create an Integration Access record for the vendor; the secret is shown only once, so copy it straight into Secret code.",
        "Untick the district setting \"Use Grade When Posting Secondary Gradebook Assignment Scores\"; scores sent by sisbridge overwrite the class's Skyward gradebook records.",
    ),
    host_url_example="https://district.skyward.com/districtAPI",
    unknowns=(
        "the token URL (generic <host>/token is used unless the admin gives one)",
        "whether SMS 2.0 uses OAuth 1.0a or OAuth 2 (OAuth 2 is tried first; Qmlativ removed OAuth 1)",
        "the OneRoster base path on SMS 2.0 (Qmlativ's Application URL + /ims/oneroster/v1p1/ is used)",
        "rate limits and the exact rejected fields",
    ),
    sources=("Tools4ever-NIM/NIM-System-REST-Skyward-OneRoster-v1.2", "help.otus.com/en/articles/4231146"),
)

ASPEN = VendorProfile(
    id="aspen",
    name="Follett Aspen",
    versions=(V11,),
    auth_methods=(OAUTH2,),
    token_path="/oauth/rest/v2.0/auth",
    credentials_in=CredentialPlacement.FORM,
    category_source=CategorySource.METADATA_FILTER,
    limits=Limits(title_max_length=50, page_size=100, max_concurrency=4, category_required=True, grading_period_required=True),
    saas_host_patterns=("*.myfollett.com",),
    partnership=Partnership.PARTNER,
    partnership_text="Partner: Follett Aspen 6.2 and later.",
    licence=None,
    credential_steps=(
        "In Aspen, open Admin › Security › OAuth Access (or request access through Pando) and create an OAuth client for sisbridge.",
        "Copy the Aspen address (for example https://ma-district.myfollett.com/aspen) into Host URL.",
        "Copy the client ID into Access key and the client secret into Secret code.",
    ),
    host_url_example="https://district.myfollett.com/aspen",
    unknowns=("rate limits", "the error returned when a grade term is locked", "the title length limit (50 assumed)"),
    sources=("thinkle/standards-based-grading-sheet Aspen.js", "Aspen help OAuth_Access.htm"),
)

AERIES = VendorProfile(
    id="aeries",
    name="Aeries",
    versions=(V11,),
    auth_methods=(OAUTH2,),
    token_path="/token",
    token_relative_to_base=True,
    limits=Limits(page_size=1000, max_concurrency=4, supports_delete=False),
    saas_host_patterns=("*.aeries.net",),
    partnership=Partnership.NOT_LISTED,
    partnership_text="Not listed by Google as a grade export partner; works as a OneRoster 1.1 SIS.",
    credential_steps=(
        "In Aeries, open Security › OneRoster API and add sisbridge as a vendor with permissions for classes, users, terms, grading periods, line items and results.",
        "Copy the district address (for example https://district.aeries.net/aeries) into Host URL.",
        "Copy the client ID into Access key and the client secret into Secret code.",
    ),
    host_url_example="https://district.aeries.net/aeries",
    unknowns=("the title length limit", "rate limits", "whether the token URL is <base>/token or the older /v2/oauth/token"),
    sources=("support.aeries.com 14000065667", "support.aeries.com 14000065677"),
)

CAPITA_SIMS = VendorProfile(
    id="capita_sims",
    name="Capita SIMS",
    versions=(V11,),
    auth_methods=(OAUTH2,),
    token_path=None,
    token_url="https://sts.sims.co.uk/connect/token",
    extra_headers=("Ocp-Apim-Subscription-Key",),
    partnership=Partnership.NOT_LISTED,
    partnership_text="Not listed by Google as a grade export partner; OneRoster is reached through DeX / SIMS ID.",
    credential_steps=(
        "Ask each school to grant sisbridge an OAuth client in SIMS ID (DeX OneRoster).",
        "Copy the OneRoster address you were given into Host URL, the client ID into Access key and the client secret into Secret code.",
    ),
    host_url_example="https://oneroster.example-dex.co.uk",
    unknowns=(
        "the OneRoster base URL and the gradebook endpoints (SIMS may not accept results at all)",
        "category and grading period requirements",
        "rate limits",
    ),
    sources=("sims-partners.com DeX – OneRoster",),
)

ONEROSTER_1P1 = VendorProfile(
    id="oneroster_1p1",
    name="Other OneRoster 1.1 SIS",
    versions=(V11,),
    auth_methods=(OAUTH1, OAUTH2),  # 1.1's original profile; OAuth 2 when a token URL is given
    category_source=CategorySource.ALL,
    limits=Limits(max_concurrency=8),
    partnership=Partnership.GENERIC,
    partnership_text="Any SIS that implements the OneRoster 1.1 gradebook (lineItems and results, PUT and DELETE).",
    credential_steps=(
        "Ask your SIS for OneRoster 1.1 consumer credentials with gradebook write access.",
        "Paste the OneRoster URL (ending in /ims/oneroster/v1p1) into Host URL, the consumer key into Access key and the secret into Secret code.",
        "If the SIS gave a token URL, it uses OAuth 2: enter the token URL too. Without one, requests are signed with OAuth 1.0a (HMAC-SHA256).",
    ),
    host_url_example="https://sis.example.org/ims/oneroster/v1p1",
)

ONEROSTER_1P2 = VendorProfile(
    id="oneroster_1p2",
    name="Other OneRoster 1.2 SIS",
    versions=(V12,),
    auth_methods=(OAUTH2,),
    limits=Limits(max_concurrency=8),
    partnership=Partnership.GENERIC,
    partnership_text="Any SIS that implements the OneRoster 1.2 gradebook service.",
    credential_steps=(
        "Ask your SIS for OneRoster 1.2 client credentials with the roster.readonly, gradebook.readonly, gradebook.createput and gradebook.delete scopes.",
        "Paste the OneRoster URL (ending in /ims/oneroster) into Host URL, the client ID into Access key and the secret into Secret code; give the token URL if it is not <host>/token.",
    ),
    host_url_example="https://sis.example.org/ims/oneroster",
)

PROFILES: dict[str, VendorProfile] = {
    p.id: p for p in (INFINITE_CAMPUS, SKYWARD, ASPEN, AERIES, CAPITA_SIMS, ONEROSTER_1P1, ONEROSTER_1P2)
}


def get_profile(sis: str) -> VendorProfile:
    try:
        return PROFILES[sis]
    except KeyError:
        raise InvalidRequest(
            f"Unknown SIS {sis!r}.",
            hint="Choose one of: " + ", ".join(PROFILES) + ".",
            field="sis",
        ) from None
