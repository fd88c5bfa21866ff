"""The CDC event contract: a Debezium-style envelope for the two source tables that stream.

    {"event_id": "...", "op": "c|u|d|r",
     "source": {"table": "inventory_transactions|stock_levels", "lsn": 123, "ts_ms": 1700000000000, "txid": 9},
     "before": {...} | null, "after": {...} | null}

`c` insert, `u` update, `d` delete, `r` snapshot read. Inserts, updates and reads carry `after`; deletes
carry `before`. The key of a row (transaction_id, or warehouse_id + sku_id) never changes.
`lsn` is the source's log position: it orders all changes of one key, so the last writer wins by lsn.
Images are standardized on the way through: timestamps to UTC, codes upper-cased and mapped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, field_validator, model_validator

MOVEMENT_TYPES = ("RECEIPT", "SHIPMENT", "TRANSFER_OUT", "TRANSFER_IN", "RETURN", "ADJUSTMENT", "CYCLE_COUNT")
POSITIVE_MOVEMENTS = ("RECEIPT", "TRANSFER_IN", "RETURN")
NEGATIVE_MOVEMENTS = ("SHIPMENT", "TRANSFER_OUT")
CURRENCIES = ("USD", "CAD", "MXN", "EUR", "GBP", "PLN", "SEK", "JPY", "CNY", "KRW", "SGD", "AUD", "INR")
# Source systems spell units several ways; the warehouse uses the landing contract's codes.
UNIT_ALIASES = {"EA": "EA", "EACH": "EA", "PC": "EA", "PCS": "EA", "UNIT": "EA", "CS": "CS", "CASE": "CS",
                "PK": "PK", "PACK": "PK", "KG": "KG", "KGS": "KG", "L": "L", "LTR": "L", "LITRE": "L", "LITER": "L"}
TABLES = ("inventory_transactions", "stock_levels")
MAX_EVENT_BYTES = 64 * 1024  # far above any real image (~300 bytes); anything larger is rejected


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset (naive timestamps are ambiguous)")
    return value.astimezone(timezone.utc)


class _Image(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("warehouse_id", "sku_id", check_fields=False)
    @classmethod
    def _upper_id(cls, v: str) -> str:
        return v.upper()


class TransactionImage(_Image):
    transaction_id: int = Field(gt=0)
    event_ts: datetime
    warehouse_id: str = Field(min_length=1, max_length=32)
    sku_id: str = Field(min_length=1, max_length=32)
    movement_type: str
    quantity: int
    reference_id: str | None = Field(default=None, max_length=64)

    _utc_event_ts = field_validator("event_ts")(_utc)

    @field_validator("movement_type")
    @classmethod
    def _known_movement(cls, v: str) -> str:
        v = v.upper()
        if v not in MOVEMENT_TYPES:
            raise ValueError(f"unknown movement_type {v!r}; expected one of {', '.join(MOVEMENT_TYPES)}")
        return v

    @model_validator(mode="after")
    def _sign_matches_movement(self) -> "TransactionImage":
        if self.quantity == 0:
            raise ValueError("quantity must not be zero")
        if self.movement_type in POSITIVE_MOVEMENTS and self.quantity < 0:
            raise ValueError(f"{self.movement_type} quantity must be positive, got {self.quantity}")
        if self.movement_type in NEGATIVE_MOVEMENTS and self.quantity > 0:
            raise ValueError(f"{self.movement_type} quantity must be negative, got {self.quantity}")
        return self

    def key(self) -> str:
        return str(self.transaction_id)


class StockLevelImage(_Image):
    warehouse_id: str = Field(min_length=1, max_length=32)
    sku_id: str = Field(min_length=1, max_length=32)
    quantity_on_hand: int = Field(ge=-10_000_000, le=1_000_000_000)
    unit_of_measure: str
    currency_code: str
    updated_at: datetime

    _utc_updated_at = field_validator("updated_at")(_utc)

    @field_validator("unit_of_measure")
    @classmethod
    def _known_unit(cls, v: str) -> str:
        code = UNIT_ALIASES.get(v.upper())
        if code is None:
            raise ValueError(f"unknown unit_of_measure {v!r}")
        return code

    @field_validator("currency_code")
    @classmethod
    def _known_currency(cls, v: str) -> str:
        v = v.upper()
        if v not in CURRENCIES:
            raise ValueError(f"unknown currency_code {v!r}")
        return v

    def key(self) -> str:
        return f"{self.warehouse_id}|{self.sku_id}"


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")  # Debezium adds connector fields we carry but do not use
    table: Literal["inventory_transactions", "stock_levels"]
    lsn: int = Field(ge=0)
    ts_ms: int = Field(gt=0)
    txid: int | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str = Field(min_length=1, max_length=128)
    op: Literal["c", "u", "d", "r"]

    @model_validator(mode="after")
    def _images_match_op(self):
        if self.op == "d":
            if self.before is None:
                raise ValueError("a delete (op d) must carry the before image")
        elif self.after is None:
            raise ValueError(f"op {self.op} must carry the after image")
        if self.before is not None and self.after is not None and self.before.key() != self.after.key():
            raise ValueError(f"the key changed between before ({self.before.key()}) and after ({self.after.key()})")
        return self

    @property
    def image(self):
        return self.after if self.after is not None else self.before

    def key(self) -> str:
        return self.image.key()

    def dedup_key(self) -> str:
        """Every delivery of one source change shares its position: (table, key, lsn)."""
        return f"{self.source.table}#{self.key()}#{self.source.lsn}"


class TransactionSource(Source):
    table: Literal["inventory_transactions"]


class StockLevelSource(Source):
    table: Literal["stock_levels"]


class TransactionEvent(_Envelope):
    source: TransactionSource
    before: TransactionImage | None = None
    after: TransactionImage | None = None


class StockLevelEvent(_Envelope):
    source: StockLevelSource
    before: StockLevelImage | None = None
    after: StockLevelImage | None = None


def _table_of(raw) -> str | None:
    source = raw.get("source") if isinstance(raw, dict) else getattr(raw, "source", None)
    return source.get("table") if isinstance(source, dict) else getattr(source, "table", None)


# One validator for both tables, chosen by source.table; JSON is parsed by pydantic-core (Rust).
EVENT = TypeAdapter(Annotated[
    Union[Annotated[TransactionEvent, Tag("inventory_transactions")], Annotated[StockLevelEvent, Tag("stock_levels")]],
    Discriminator(_table_of)])


def parse_event_json(data: bytes) -> TransactionEvent | StockLevelEvent:
    """Decode and validate one event; raises pydantic ValidationError naming the field and the reason."""
    return EVENT.validate_json(data)


def parse_event(raw: dict) -> TransactionEvent | StockLevelEvent:
    return EVENT.validate_python(raw)


def partition_key(table: str, key: str) -> str:
    """All changes of one row go to one shard, so Kinesis keeps them in order."""
    return f"{table}|{key}"
