"""The landing-zone data contract: the one definition of every source file the platform accepts.

The simulator writes files that obey it, Bronze ingestion validates against it, and
docs/data_contract.md documents it (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field

REGIONS = ("NA", "EU", "APAC")
REGION_NAMES = {"NA": "North America", "EU": "Europe", "APAC": "Asia-Pacific"}
CURRENCIES = ("USD", "CAD", "MXN", "EUR", "GBP", "PLN", "SEK", "JPY", "CNY", "KRW", "SGD", "AUD", "INR")
UNITS_OF_MEASURE = ("EA", "CS", "PK", "KG", "L")

# Sign each movement type must carry: +1 increases stock on hand, -1 decreases it, 0 either way (never zero).
MOVEMENT_SIGNS = {
    "RECEIPT": 1,
    "SHIPMENT": -1,
    "TRANSFER_OUT": -1,
    "TRANSFER_IN": 1,
    "RETURN": 1,
    "ADJUSTMENT": 0,
    "CYCLE_COUNT": 0,
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type name; the Bronze table uses exactly this type
    description: str
    nullable: bool = False
    accepted_values: tuple[str, ...] = ()
    min_value: float | None = None  # inclusive
    exclusive_min: bool = False  # when True, min_value itself is rejected


@dataclass(frozen=True)
class RowRule:
    """A condition across columns that every row must meet. `column` is the one a rejection names, with
    its value: the column whose value is wrong when the rule fails (for a zero-quantity receipt, quantity)."""

    predicate: str  # SQL that must hold
    column: str
    reason: str


# The folder a day-partitioned table's files live in: <table>/date=YYYY-MM-DD/.
DAY_FOLDER_PATTERN = r"date=(\d{4}-\d{2}-\d{2})"


def folder_day_sql(path_column: str) -> str:
    """SQL (DuckDB) for the day of the date=YYYY-MM-DD folder in a file path column; null when there is none."""
    return f"TRY_CAST(regexp_extract({path_column}, '{DAY_FOLDER_PATTERN}', 1) AS DATE)"


@dataclass(frozen=True)
class SourceTable:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    day_column: str | None = None  # when set, files live under <table>/date=YYYY-MM-DD/ holding that day's rows
    row_rules: tuple[RowRule, ...] = field(default=())

    @property
    def partitioned_by_day(self) -> bool:
        return self.day_column is not None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _movement_sign_rule() -> RowRule:
    positive = ", ".join(f"'{m}'" for m, s in MOVEMENT_SIGNS.items() if s > 0)
    negative = ", ".join(f"'{m}'" for m, s in MOVEMENT_SIGNS.items() if s < 0)
    return RowRule(
        f"quantity <> 0 AND (movement_type NOT IN ({positive}) OR quantity > 0)"
        f" AND (movement_type NOT IN ({negative}) OR quantity < 0)",
        "quantity",
        "quantity is zero or its sign does not match movement_type "
        "(RECEIPT/TRANSFER_IN/RETURN positive, SHIPMENT/TRANSFER_OUT negative)",
    )


PRODUCTS = SourceTable(
    name="products",
    description="Product master change log: one row per version of a SKU's attributes, effective from valid_from.",
    key=("sku_id", "valid_from"),
    columns=(
        Column("sku_id", "VARCHAR", "Durable ERP product identifier, e.g. SKU-000123."),
        Column("product_name", "VARCHAR", "Product description."),
        Column("category_code", "VARCHAR", "Merchandise category code, e.g. CAT-07 (50 categories)."),
        Column("category_name", "VARCHAR", "Merchandise category name."),
        Column("brand", "VARCHAR", "Brand name."),
        Column("unit_of_measure", "VARCHAR", "Stocking unit.", accepted_values=UNITS_OF_MEASURE),
        Column("valid_from", "DATE", "First day on which this version of the attributes applies."),
    ),
)

WAREHOUSES = SourceTable(
    name="warehouses",
    description="Warehouse master change log: one row per version of a warehouse's attributes.",
    key=("warehouse_id", "valid_from"),
    columns=(
        Column("warehouse_id", "VARCHAR", "Durable warehouse identifier, e.g. WH-001."),
        Column("warehouse_name", "VARCHAR", "Warehouse name."),
        Column("region", "VARCHAR", "Operating region.", accepted_values=REGIONS),
        Column("country_code", "VARCHAR", "ISO 3166-1 alpha-2 country code."),
        Column("city", "VARCHAR", "City."),
        Column("currency_code", "VARCHAR", "ISO 4217 local (book) currency.", accepted_values=CURRENCIES),
        Column("open_date", "DATE", "Day the warehouse started trading."),
        Column("close_date", "DATE", "Day the warehouse stopped trading; empty while open.", nullable=True),
        Column("allows_backorder", "BOOLEAN", "Whether stock on hand may go negative (backorders)."),
        Column("valid_from", "DATE", "First day on which this version of the attributes applies."),
    ),
    row_rules=(RowRule("close_date IS NULL OR close_date >= open_date", "close_date", "close_date is before open_date"),),
)

STANDARD_COSTS = SourceTable(
    name="standard_costs",
    description="Standard cost history: cost per unit of a SKU in a currency, in force from effective_date.",
    key=("sku_id", "currency_code", "effective_date"),
    columns=(
        Column("sku_id", "VARCHAR", "Product identifier (products.sku_id)."),
        Column("currency_code", "VARCHAR", "Currency the cost is set in.", accepted_values=CURRENCIES),
        Column("effective_date", "DATE", "First day on which this cost applies."),
        Column("standard_cost", "DECIMAL(18,4)", "Standard cost per stocking unit.", min_value=0, exclusive_min=True),
    ),
)

FX_RATES = SourceTable(
    name="fx_rates",
    description="Daily closing exchange rates on business days: USD value of one unit of the currency.",
    key=("rate_date", "currency_code"),
    columns=(
        Column("rate_date", "DATE", "Business day of the closing rate."),
        Column("currency_code", "VARCHAR", "ISO 4217 currency.", accepted_values=CURRENCIES),
        Column("usd_per_unit", "DECIMAL(18,8)", "USD per one unit of the currency at the close.",
               min_value=0, exclusive_min=True),
    ),
)

OPENING_BALANCES = SourceTable(
    name="opening_balances",
    description="Stock on hand per warehouse and SKU at the close of as_of_date, before the first transaction.",
    key=("warehouse_id", "sku_id"),
    columns=(
        Column("warehouse_id", "VARCHAR", "Warehouse identifier (warehouses.warehouse_id)."),
        Column("sku_id", "VARCHAR", "Product identifier (products.sku_id)."),
        Column("as_of_date", "DATE", "Day whose closing stock this is; transactions start the day after."),
        Column("quantity_on_hand", "BIGINT", "Units on hand.", min_value=0),
    ),
)

INVENTORY_TRANSACTIONS = SourceTable(
    name="inventory_transactions",
    description="Inventory movements (the stock ledger), one file set per event day under date=YYYY-MM-DD/.",
    key=("transaction_id",),
    day_column="event_ts",
    columns=(
        Column("transaction_id", "BIGINT", "Unique movement identifier from the source system."),
        Column("event_ts", "TIMESTAMP", "When the movement happened, UTC."),
        Column("warehouse_id", "VARCHAR", "Warehouse whose stock moved."),
        Column("sku_id", "VARCHAR", "Product that moved."),
        Column("movement_type", "VARCHAR", "Kind of movement.", accepted_values=tuple(MOVEMENT_SIGNS)),
        Column("quantity", "BIGINT", "Signed units: positive increases stock on hand, negative decreases it."),
        Column("reference_id", "VARCHAR",
               "Source document: PO, order or count number; TRANSFER_OUT/TRANSFER_IN pairs share a transfer id.",
               nullable=True),
    ),
    row_rules=(_movement_sign_rule(),),
)

SOURCE_TABLES: dict[str, SourceTable] = {
    t.name: t for t in (PRODUCTS, WAREHOUSES, STANDARD_COSTS, FX_RATES, OPENING_BALANCES, INVENTORY_TRANSACTIONS)
}

MANIFEST_FILE = "manifest.json"
