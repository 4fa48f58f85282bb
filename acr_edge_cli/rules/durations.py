"""ISO 8601 durations as the connected registry service reads them."""

import functools
from datetime import timedelta


@functools.lru_cache(maxsize=256)
def parse_duration(text: str) -> timedelta | None:
    """The duration as a timedelta, or None if it is not one.

    Years and months have no fixed length; they are refused, as the service's limits are
    stated in hours and days.
    """
    import isodate  # loaded only where hierarchies are checked

    try:
        value = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError, OverflowError):
        return None
    return value if isinstance(value, timedelta) else None
