"""The CDC event contract: the Debezium envelope for the two source tables that stream.

    {"event_id": "...", "op": "c|u|d|r",
     "source": {"table": "inventory_transactions|stock_levels", "lsn": 123, "ts_ms": 1700000000000, "txid": 9},
     "before": {...} | null, "after": {...} | null}

`c` insert, `u` update, `d` delete, `r` snapshot read. Inserts, updates and reads carry `after`; deletes
carry `before`. The key of a row (transaction_id, or warehouse_id + sku_id) never changes.
`lsn` is the source's log position: it orders all changes of one key, so the last writer wins by lsn.
Images are standardized on the way through: timestamps to UTC, codes upper-cased and mapped.

What a Debezium connector emits is accepted as it is, so that it can write to the raw stream directly:
the JSON converter with schemas enabled (`{"schema": ..., "payload": <envelope>}`) or disabled, the
envelope's own `ts_ms`/`ts_us`/`ts_ns` and `transaction` block, PostgreSQL's `source.txId` and MySQL's
binlog position (`source.file`, `pos`, `row`) in place of `lsn`, and key-only `before` images (what a
PostgreSQL table with the default REPLICA IDENTITY sends). Debezium sends no `event_id`; the event's
source position, `<table>#<row key>#<lsn>`, stands in for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, TypeAdapter, field_validator, model_validator

MOVEMENT_TYPES = ("RECEIPT", "SHIPMENT", "TRANSFER_OUT", "TRANSFER_IN", "RETURN", "ADJUSTMENT", "CYCLE_COUNT")
POSITIVE_MOVEMENTS = ("RECEIPT", "TRANSFER_IN", "RETURN")
NEGATIVE_MOVEMENTS = ("SHIPMENT", "TRANSFER_OUT")
CURRENCIES = ("USD", "CAD", "MXN", "EUR", "GBP", "PLN", "SEK", "JPY", "CNY", "KRW", "SGD", "AUD", "INR")
# Source systems spell units several ways; the warehouse uses the landing contract's codes.
UNIT_ALIASES = {"EA": "EA", "EACH": "EA", "PC": "EA", "PCS": "EA", "UNIT": "EA", "CS": "CS", "CASE": "CS",
                "PK": "PK", "PACK": "PK", "KG": "KG", "KGS": "KG", "L": "L", "LTR": "L", "LITRE": "L", "LITER": "L"}
TABLES = ("inventory_transactions", "stock_levels")
MAX_EVENT_BYTES = 64 * 1024  # far above any real image (~300 bytes); anything larger is rejected
# A MySQL binlog position packed into one ordered integer: file sequence | byte offset | row in the event.
BINLOG_POS_BITS, BINLOG_ROW_BITS, BINLOG_FILE_BITS = 32, 12, 19


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset (naive timestamps are ambiguous)")
    return value.astimezone(UTC)


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
    def _sign_matches_movement(self) -> TransactionImage:
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


class TransactionKeyImage(_Image):
    """A `before` image holding only the primary key (PostgreSQL REPLICA IDENTITY DEFAULT)."""
    transaction_id: int = Field(gt=0)

    def key(self) -> str:
        return str(self.transaction_id)


class StockLevelKeyImage(_Image):
    """A `before` image holding only the primary key (PostgreSQL REPLICA IDENTITY DEFAULT)."""
    warehouse_id: str = Field(min_length=1, max_length=32)
    sku_id: str = Field(min_length=1, max_length=32)

    def key(self) -> str:
        return f"{self.warehouse_id}|{self.sku_id}"


def _before_image(full: type[_Image], key_only: type[_Image]):
    """A full row image, or one carrying nothing but the key; chosen by its fields so that a bad full image is
    reported against the full schema only."""
    def kind(raw) -> str:  # called with the input when validating and with the model when serializing
        if isinstance(raw, dict):
            return "key" if raw.keys() <= key_only.model_fields.keys() else "full"
        return "key" if isinstance(raw, key_only) else "full"
    return Annotated[Annotated[full, Tag("full")] | Annotated[key_only, Tag("key")], Discriminator(kind)]


def binlog_position(file: str, pos: int, row: int) -> int:
    """MySQL's (binlog file, offset, row) as one integer that sorts like the binlog: the order `lsn` means."""
    suffix = file.rsplit(".", 1)[-1] if isinstance(file, str) else ""
    if not suffix.isdigit():
        raise ValueError(f"binlog file {file!r} does not end in a sequence number")
    sequence = int(suffix)
    if not (0 <= sequence < 2 ** BINLOG_FILE_BITS and 0 <= pos < 2 ** BINLOG_POS_BITS and 0 <= row < 2 ** BINLOG_ROW_BITS):
        raise ValueError(f"binlog position {file}:{pos} row {row} is outside the range an lsn can hold "
                         f"(file sequence < {2 ** BINLOG_FILE_BITS}, pos < {2 ** BINLOG_POS_BITS}, row < {2 ** BINLOG_ROW_BITS})")
    return (sequence << (BINLOG_POS_BITS + BINLOG_ROW_BITS)) | (pos << BINLOG_ROW_BITS) | row


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")  # Debezium adds connector fields we carry but do not use
    table: Literal["inventory_transactions", "stock_levels"]
    lsn: int = Field(ge=0)
    ts_ms: int = Field(ge=0)  # 0 in the MySQL create example of Debezium's documentation
    txid: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _debezium_position(cls, data: Any) -> Any:
        """PostgreSQL names the transaction `txId`; MySQL has no lsn but a binlog file, offset and row."""
        if not isinstance(data, dict) or ("txId" not in data and "lsn" in data):
            return data  # our own envelope: nothing to map
        data = dict(data)
        if "txId" in data and data.get("txid") is None:
            data["txid"] = data.pop("txId")
        if data.get("lsn") is None and {"file", "pos"} <= data.keys():
            try:
                data["lsn"] = binlog_position(data["file"], int(data["pos"]), int(data.get("row") or 0))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"no lsn and no usable binlog position: {exc}") from None
        return data


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str | None = Field(default=None, min_length=1, max_length=128)
    op: Literal["c", "u", "d", "r"]
    ts_ms: int | None = Field(default=None, ge=0)
    ts_us: int | None = Field(default=None, ge=0)
    ts_ns: int | None = Field(default=None, ge=0)
    transaction: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _images_match_op(self):
        if self.op == "d":
            if self.before is None:
                raise ValueError("a delete (op d) must carry the before image")
        elif self.after is None:
            raise ValueError(f"op {self.op} must carry the after image")
        if self.before is not None and self.after is not None and self.before.key() != self.after.key():
            raise ValueError(f"the key changed between before ({self.before.key()}) and after ({self.after.key()})")
        if self.event_id is None:
            self.event_id = self.dedup_key()
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
    before: _before_image(TransactionImage, TransactionKeyImage) | None = None
    after: TransactionImage | None = None


class StockLevelEvent(_Envelope):
    source: StockLevelSource
    before: _before_image(StockLevelImage, StockLevelKeyImage) | None = None
    after: StockLevelImage | None = None


def _table_of(raw) -> str | None:
    source = raw.get("source") if isinstance(raw, dict) else getattr(raw, "source", None)
    return source.get("table") if isinstance(source, dict) else getattr(source, "table", None)


def _unwrap_schema(raw):
    """The JSON converter with schemas enabled wraps each envelope as {"schema": ..., "payload": ...}."""
    if isinstance(raw, dict) and raw.keys() == {"schema", "payload"}:
        return raw["payload"]
    return raw


# One validator for both tables, chosen by source.table; JSON is parsed by pydantic-core (Rust).
EVENT = TypeAdapter(Annotated[
    Annotated[TransactionEvent, Tag("inventory_transactions")] | Annotated[StockLevelEvent, Tag("stock_levels")],
    Discriminator(_table_of), BeforeValidator(_unwrap_schema)])


def parse_event_json(data: bytes) -> TransactionEvent | StockLevelEvent:
    """Decode and validate one event; raises pydantic ValidationError naming the field and the reason."""
    return EVENT.validate_json(data)


def parse_event(raw: dict) -> TransactionEvent | StockLevelEvent:
    return EVENT.validate_python(raw)


def partition_key(table: str, key: str) -> str:
    """All changes of one row go to one shard, so Kinesis keeps them in order."""
    return f"{table}|{key}"
