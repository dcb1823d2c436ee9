"""Time zones people are written to in: an IANA name (Asia/Shanghai), not an offset or an abbreviation."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma


def iana_zone(name: str) -> None:
    """A marshmallow validator: the field names a zone this host knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ma.ValidationError("an IANA time zone name, e.g. Asia/Shanghai") from exc
