"""Timestamps on the wire: ISO 8601, UTC, without an offset (see nexus.api.models).

``iso(t)`` is exactly ``datetime.fromtimestamp(t, UTC).isoformat()`` without ``+00:00``, but
a listing formats two per entry, and building a datetime to print it cost 2 us a call. So
the text is assembled from cached pieces: the date and hour (one string per hour, cached),
"MM:SS" (a table of 3,600) and the microseconds (two tables of 000..999).
"""

from __future__ import annotations

from datetime import date
from math import modf

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MICROSECONDS = 1_000_000
# "YYYY-MM-DDTHH:" by hours since the epoch. Bounded: emptied when full, since listings
# touch few hours each and a cold entry costs only one date.fromordinal.
_HOURS_CACHED = 8192
_hours: dict[int, str] = {}
_MM_SS = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
_DIGITS3 = [f"{n:03d}" for n in range(1000)]


def _hour_text(hours: int) -> str:
    if len(_hours) >= _HOURS_CACHED:
        _hours.clear()
    day, hour = divmod(hours, 24)
    text = f"{date.fromordinal(_EPOCH_ORDINAL + day).isoformat()}T{hour:02d}:"
    _hours[hours] = text
    return text


def iso(timestamp: float) -> str:
    # The rounding is datetime's: the fraction rounded half-even to microseconds (after
    # modf, as CPython does), carrying into the seconds.
    fraction, whole = modf(timestamp)
    micros = round(fraction * _MICROSECONDS)
    seconds = int(whole)
    if micros >= _MICROSECONDS:
        seconds += 1
        micros -= _MICROSECONDS
    elif micros < 0:  # before 1970: modf's parts are negative
        seconds -= 1
        micros += _MICROSECONDS
    hours, minute_second = divmod(seconds, 3600)
    head = _hours.get(hours) or _hour_text(hours)
    if micros:  # isoformat leaves out a zero fraction
        milli, micro = divmod(micros, 1000)
        return f"{head}{_MM_SS[minute_second]}.{_DIGITS3[milli]}{_DIGITS3[micro]}"
    return head + _MM_SS[minute_second]


def iso_or_none(timestamp: float | None) -> str | None:
    return None if timestamp is None else iso(timestamp)
