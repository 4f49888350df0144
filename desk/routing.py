"""URL converters."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL


class DatabaseId(IntegerConverter):
    """`<int:...>` that only matches ids a table can hold, so /tickets/99999999999 is a 404
    and not a database error about an out-of-range integer."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
