"""iso() builds its text from cached pieces; it must print exactly what datetime prints."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from nexus.files import timestamps
from nexus.files.timestamps import iso, iso_or_none

LAST_SECOND = 253402300799  # 9999-12-31T23:59:59


def reference(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().removesuffix("+00:00")


# Fractions where rounding to microseconds is decided: exact halves (half-even), just
# below a carry into the next second, zero (no fraction printed).
TRICKY_FRACTIONS = [
    0.0,
    0.5e-6,
    1.5e-6,
    2.5e-6,
    0.5,
    0.0000005,
    0.0000015,
    0.9999994,
    0.9999995,
    0.99999949999,
    0.9999996,
    0.9999999,
    0.123456,
    0.1234565,
    0.999,
]


@st.composite
def tricky_timestamps(draw: st.DrawFn) -> float:
    whole = draw(
        st.one_of(
            st.integers(0, 3),  # where half-microsecond ties are common
            st.integers(0, 2**31),
            st.integers(1_700_000_000, 1_900_000_000),
            st.integers(0, LAST_SECOND - 1),
        )
    )
    # Half a microsecond above k microseconds: a tie when the product lands on k + 0.5.
    halves = st.integers(0, 999_999).map(lambda k: (k + 0.5) / 1e6)
    value = whole + draw(st.one_of(st.sampled_from(TRICKY_FRACTIONS), halves))
    nudge = draw(st.sampled_from([-1, 0, 1]))
    if nudge:
        value = math.nextafter(value, math.inf if nudge > 0 else 0.0)
    return min(max(value, 0.0), float(LAST_SECOND))


@given(st.floats(min_value=0, max_value=LAST_SECOND, allow_nan=False, allow_infinity=False))
@example(0.0)
@example(0.5e-6)
@example(1.5e-6)
@example(0.9999995)
@example(1e-7)
@example(86399.9999996)
@example(float(LAST_SECOND))
def test_iso_equals_datetime_for_any_timestamp(timestamp: float) -> None:
    assert iso(timestamp) == reference(timestamp)


@given(tricky_timestamps())
@example(2.5e-6)  # exactly 2.5 us: half-even prints 2
@example(4.5e-6)
@example(1.0000025)  # 2.4999999... us after modf: 2
@example(59.9999995)
def test_iso_equals_datetime_at_rounding_boundaries(timestamp: float) -> None:
    assert iso(timestamp) == reference(timestamp)


def test_iso_stays_exact_when_its_hour_cache_is_emptied() -> None:
    start = 1_700_000_000.25
    hours = [start + 3600.0 * n for n in range(timestamps._HOURS_CACHED + 10)]
    assert [iso(t) for t in hours] == [reference(t) for t in hours]
    assert len(timestamps._hours) <= timestamps._HOURS_CACHED


def test_iso_or_none() -> None:
    assert iso_or_none(None) is None
    assert iso_or_none(1.5) == "1970-01-01T00:00:01.500000"
