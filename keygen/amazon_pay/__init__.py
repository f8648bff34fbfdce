"""Amazon Pay specifics: regions and Public Key IDs (the string to sign and the self-test are
`keygen.amazon_pay.signing`)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    integration_central: str


REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("us", "United States", "https://sellercentral.amazon.com/gp/pyop/seller/integrationcentral/"),
        Region("eu", "Europe and the UK", "https://sellercentral-europe.amazon.com/gp/pyop/seller/integrationcentral/"),
        Region("jp", "Japan", "https://sellercentral-japan.amazon.com/gp/pyop/seller/integrationcentral/"),
    )
}

def regions(region: str | None) -> list[Region]:
    """The one region asked for, or all three."""
    return [REGIONS[region]] if region else list(REGIONS.values())


#: Optional environment prefix, then 24 characters of A-Z and 0-9 (as the Magento plugin checks).
PUBLIC_KEY_ID_RE = r"^(?:(SANDBOX|LIVE)-)?([0-9A-Z]{24})$"


def parse_public_key_id(value: str) -> tuple[str | None, str] | None:
    """Return (environment or None, id) for a well-formed Public Key ID, else None."""
    m = re.match(PUBLIC_KEY_ID_RE, value.strip())
    if not m:
        return None
    return (m.group(1).lower() if m.group(1) else None, m.group(0))
