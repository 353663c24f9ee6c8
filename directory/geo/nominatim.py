"""Optional place-name geocoding ("Plymouth", "Mutley Plain") through a geopy geocoder.

Only used when an operator sets ``GEOCODER_PLACES = "nominatim"``: it sends queries to an
online service, so it is never the default and never used in tests. Postcodes still go to
the offline postcode geocoder, so they work (and stay private) even then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter

from . import (
    Geocoder,
    GeocodingError,
    GeoResult,
    looks_like_outward,
    looks_like_postcode,
    not_covered_message,
)

__all__ = ["PlaceNameGeocoder", "nominatim_service"]

# Place names are short; anything longer is probably pasted notes, which we shouldn't send
# to a third party.
_MAX_PLACE_LENGTH = 100


class _GeopyLike(Protocol):
    def geocode(self, query: str, *args: Any, **kwargs: Any) -> Any: ...


class PlaceNameGeocoder:
    """Postcodes go to ``postcodes``; anything else is treated as a place name for ``places``.

    ``places`` is a geopy geocoder (or anything with the same ``geocode(query,
    exactly_one=True, **kwargs)`` method returning an object with ``latitude``, ``longitude``
    and ``address``, or None). Lookups are rate limited to one per ``min_delay_seconds`` per
    process, as Nominatim's usage policy asks, and recent answers are cached.
    """

    def __init__(
        self,
        postcodes: Geocoder,
        places: _GeopyLike,
        *,
        geocode_kwargs: Mapping[str, Any] | None = None,
        min_delay_seconds: float = 1.0,
    ) -> None:
        self.postcodes = postcodes
        self.places = places
        self.geocode_kwargs = dict(geocode_kwargs or {})
        lookup: Callable[..., Any] = places.geocode
        if min_delay_seconds > 0:
            # geopy's RateLimiter is thread-safe; no retries, so a slow service fails fast.
            lookup = RateLimiter(
                lookup, min_delay_seconds=min_delay_seconds, max_retries=0, swallow_exceptions=False
            )
        self._lookup = lookup
        # Successful answers (including "no such place") are cached; exceptions aren't.
        self._cached = lru_cache(maxsize=512)(self._find)

    def geocode(self, query: str) -> GeoResult:
        """Place a postcode (offline) or, failing that shape, a place name (online)."""
        text = " ".join(query.split())
        if (
            not text
            or looks_like_postcode(text)
            or looks_like_outward(text)
            or not_covered_message(text)
        ):
            return self.postcodes.geocode(query)
        if len(text) > _MAX_PLACE_LENGTH or not any(ch.isalpha() for ch in text):
            raise GeocodingError(
                "That doesn't look like a UK postcode or a place name. "
                "Please try a postcode, for example PL4 8AA."
            )
        found = self._cached(text.casefold())
        if found is None:
            raise GeocodingError(
                f"We couldn't find {text}. Please try a postcode instead.", reason="not_found"
            )
        latitude, longitude, address = found
        return GeoResult(
            query,
            address,
            latitude,
            longitude,
            "place",
            note=f"We've used {address}. If that's not the right place, please try a postcode.",
        )

    def _find(self, place: str) -> tuple[float, float, str] | None:
        try:
            location = self._lookup(place, exactly_one=True, **self.geocode_kwargs)
        except GeopyError as exc:
            raise GeocodingError(
                "We can't look up place names at the moment. Please try a postcode instead.",
                reason="unavailable",
            ) from exc
        if location is None:
            return None
        return float(location.latitude), float(location.longitude), str(location.address)


def nominatim_service(user_agent: str, timeout: float = 5.0) -> _GeopyLike:
    """A geopy Nominatim client identifying itself as ``user_agent`` (required by its policy)."""
    from geopy.geocoders import Nominatim

    return Nominatim(user_agent=user_agent, timeout=timeout)
