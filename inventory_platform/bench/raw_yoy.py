"""The executive YoY question (month-end inventory value in USD, company total and per category, with prior
year, YoY and constant-currency YoY) answered from Bronze alone: the landed ledger, opening balances, standard
costs, FX rates and the product/warehouse change logs. No Silver or Gold table is read, and nothing is shared
with the dbt models. Follows docs/valuation.md: balance x standard cost in force at month end x the month's
closing rate, each category x warehouse x month cell rounded to the cent.

Month by month, in order, so that memory and spill are bounded by one month's ledger and the pairs on hand,
never by the history (docs/optimization/slow_query_analysis.md, "Session 14: raw YoY month by month"): the month's
ledger rows (a filter on event_ts, which the Parquet scan prunes row groups on) are summed by warehouse x
SKU and added to the balances carried from the month before; that month's balances are valued into cells;
YoY is computed at the end from the cells. Working tables live in the connection's temp catalog (the
warehouse is opened read-only) and are dropped afterwards.

The ledger is summed as loaded: it assumes each transaction_id was loaded once and nothing streamed (the
bench checks this by requiring the same numbers as Gold)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from inventory_platform.bronze.in_place import loaded_files
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS

MONTHS = 36
_PREFIX = "raw_yoy_"

# Reference data, once: the latest load of each natural key (Bronze is append-only), each version or cost in
# force from its date until the next one of the same key, and each month's closing rate.
REFERENCE_TABLES = {
    "opening": """
        select warehouse_id, sku_id, last_day(as_of_date) as month_end, quantity_on_hand
        from bronze.opening_balances
        qualify row_number() over (partition by warehouse_id, sku_id
                                   order by _loaded_at desc, _batch_id desc, _source_row desc) = 1""",
    "products": """
        select sku_id, category_code, valid_from,
               lead(valid_from, 1, date '9999-12-31') over (partition by sku_id order by valid_from) as superseded_on
        from (
            select sku_id, valid_from, category_code
            from bronze.products
            qualify row_number() over (partition by sku_id, valid_from
                                       order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
        ) as versions""",
    "warehouses": """
        select warehouse_id, currency_code, valid_from,
               lead(valid_from, 1, date '9999-12-31') over (partition by warehouse_id order by valid_from)
                   as superseded_on
        from (
            select warehouse_id, valid_from, currency_code
            from bronze.warehouses
            qualify row_number() over (partition by warehouse_id, valid_from
                                       order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
        ) as versions""",
    "costs": """
        select sku_id, currency_code, standard_cost, effective_date,
               lead(effective_date, 1, date '9999-12-31')
                   over (partition by sku_id, currency_code order by effective_date) as superseded_on
        from (
            select sku_id, currency_code, effective_date, standard_cost
            from bronze.standard_costs
            qualify row_number() over (partition by sku_id, currency_code, effective_date
                                       order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
        ) as costs""",
    # the closing rate of a month: the rate of its last business day
    "closing_rates": """
        select currency_code, last_day(rate_date) as month_end, arg_max(usd_per_unit, rate_date) as usd_per_unit
        from (
            select rate_date, currency_code, usd_per_unit
            from bronze.fx_rates
            qualify row_number() over (partition by rate_date, currency_code
                                       order by _loaded_at desc, _batch_id desc, _source_row desc) = 1
        ) as rates
        group by all""",
}

# Each ledger file's event_ts range, from its Parquet footer: a month's statement names the files that can hold
# its rows, so the scan opens those (~31 of ~1,460) instead of every file's footer every month. A file whose
# range is unknown (no statistics, a path DuckDB would read as a pattern) is read every month.
FILE_SPANS = """
    select file_name,
           min(try_cast(stats_min_value as timestamp)) as first_ts,
           max(try_cast(stats_max_value as timestamp)) as last_ts,
           bool_and(try_cast(stats_min_value as timestamp) is not null
                    and try_cast(stats_max_value as timestamp) is not null) as complete
    from parquet_metadata($files)
    where path_in_schema = 'event_ts'
    group by file_name"""
LEDGER_SPAN = "select min(event_ts), max(event_ts) from bronze.inventory_transactions"

# The pairs on hand at the end of the month: last month's balances plus the month's flows (its ledger rows and
# any opening balance dated in it). `moves` counts the month's ledger rows (a pair that moved to zero is still
# reported that month); `flowed` marks the pairs with any flow (a month with none is not a month of the answer,
# as in Gold, which reports the months with a movement or an opening balance). A pair left with nothing on
# hand is dropped after the month it last flowed in: the next month's flows bring it back if it moves again.
MONTH_BALANCES = """
    with flows as (
        select warehouse_id, sku_id, sum(net) as net, sum(moves) as moves, true as flowed
        from (
            select warehouse_id, sku_id, quantity as net, 1 as moves
            from bronze.inventory_transactions
            where list_contains($files, _load_file_key)
                and event_ts >= $month_start and event_ts < $next_month_start
            union all
            select warehouse_id, sku_id, quantity_on_hand, 0
            from {opening}
            where month_end = $month_end
        ) as f
        group by warehouse_id, sku_id
    )
    select
        coalesce(f.warehouse_id, b.warehouse_id) as warehouse_id,
        coalesce(f.sku_id, b.sku_id) as sku_id,
        cast(coalesce(b.quantity, 0) + coalesce(f.net, 0) as bigint) as quantity,
        coalesce(f.moves, 0) as moves,
        coalesce(f.flowed, false) as flowed
    from {balances} as b
    full outer join flows as f on f.warehouse_id = b.warehouse_id and f.sku_id = b.sku_id
    where coalesce(b.quantity, 0) + coalesce(f.net, 0) <> 0 or f.flowed"""

# The month's balances valued: the product and warehouse versions, and the cost, in force at the month end;
# value_usd at the month's closing rate, constant currency at the rate of the same month a year earlier.
MONTH_CELLS = """
    with product_versions as (
        select sku_id, category_code from {products}
        where valid_from <= $month_end and $month_end < superseded_on
    ),
    warehouse_versions as (
        select warehouse_id, currency_code from {warehouses}
        where valid_from <= $month_end and $month_end < superseded_on
    ),
    costs as (
        select sku_id, currency_code, standard_cost from {costs}
        where effective_date <= $month_end and $month_end < superseded_on
    ),
    valued as (
        select b.warehouse_id, p.category_code, w.currency_code,
               cast(b.quantity as bigint) * c.standard_cost as value_local
        from {balances} as b
        left join product_versions as p on p.sku_id = b.sku_id
        left join warehouse_versions as w on w.warehouse_id = b.warehouse_id
        left join costs as c on c.sku_id = b.sku_id and c.currency_code = w.currency_code
        where b.quantity <> 0 or b.moves > 0
    )
    select
        cast($month_end as date) as month_end,
        v.warehouse_id,
        v.category_code,
        round(sum(v.value_local * r.usd_per_unit), 2) as value_usd,
        round(sum(v.value_local) * py.usd_per_unit, 2) as value_cc
    from valued as v
    left join {closing_rates} as r on r.currency_code = v.currency_code and r.month_end = $month_end
    left join {closing_rates} as py
        on py.currency_code = v.currency_code and py.month_end = last_day(cast($month_end as date) - interval 12 month)
    group by v.warehouse_id, v.category_code, v.currency_code, py.usd_per_unit"""

# YoY from the monthly cells: company total and per category, a row per scope that had value in the month or
# in the same month a year earlier, for the latest $months months that have a prior year.
ANSWER = """
    with totals as (
        select month_end, scope, sum(value_usd) as value_usd, sum(value_cc) as value_cc
        from (
            select month_end, 'TOTAL' as scope, value_usd, value_cc from {cells}
            union all
            select month_end, category_code, value_usd, value_cc from {cells}
        ) as scoped
        group by all
    ),

    answer_keys as (
        select month_end, scope from totals
        union
        select last_day(month_end + interval 12 month), scope from totals
        where last_day(month_end + interval 12 month) in (select month_end from totals)
    ),

    comparable as (
        select distinct k.month_end
        from answer_keys as k
        inner join totals as py on py.month_end = last_day(k.month_end - interval 12 month)
        order by k.month_end desc
        limit $months
    ),

    answer as (
        select
            k.month_end,
            k.scope,
            cast(coalesce(cur.value_usd, 0) as decimal(38, 2)) as value_usd,
            cast(py.value_usd as decimal(38, 2)) as prior_year_value_usd,
            cast(coalesce(cur.value_usd, 0) - py.value_usd as decimal(38, 2)) as yoy_change_usd,
            coalesce(cur.value_cc, case when cur.scope is null then 0 end) as value_cc
        from answer_keys as k
        inner join comparable as m on m.month_end = k.month_end
        left join totals as cur on cur.month_end = k.month_end and cur.scope = k.scope
        left join totals as py on py.month_end = last_day(k.month_end - interval 12 month) and py.scope = k.scope
    )

    select
        month_end,
        scope,
        value_usd,
        prior_year_value_usd,
        yoy_change_usd,
        case when prior_year_value_usd is null or prior_year_value_usd = 0 then null
             else cast(value_usd - prior_year_value_usd as double) / cast(prior_year_value_usd as double) * 100
        end as yoy_pct,
        cast(value_cc as decimal(38, 2)) as value_constant_currency_usd,
        case when prior_year_value_usd is null or prior_year_value_usd = 0 then null
             else cast(value_cc - prior_year_value_usd as double) / cast(prior_year_value_usd as double) * 100
        end as constant_currency_yoy_pct
    from answer
    order by month_end, scope"""


def _table(name: str) -> str:
    return f"temp.main.{_PREFIX}{name}"


_TABLES = {name: _table(name) for name in (*REFERENCE_TABLES, "balances", "next_balances", "cells")}


def _sql(template: str) -> str:
    return template.format(**_TABLES)


def _month_starts(first: date, last: date) -> Iterator[date]:
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = _next_month(month)


def _next_month(month_start: date) -> date:
    return (month_start + timedelta(days=32)).replace(day=1)


def month_params(month_start: date) -> dict:
    next_start = _next_month(month_start)
    return {"month_start": datetime.combine(month_start, datetime.min.time()),
            "next_month_start": datetime.combine(next_start, datetime.min.time()),
            "month_end": next_start - timedelta(days=1)}


@dataclass(frozen=True)
class LedgerFile:
    key: int
    first_ts: datetime | None  # None: range unknown, read every month
    last_ts: datetime | None


def ledger_files(con: duckdb.DuckDBPyConnection) -> list[LedgerFile]:
    files = loaded_files(con, INVENTORY_TRANSACTIONS)
    readable = [str(f.path) for f in files if not re.search(r"[*?\[\]{}]", str(f.path))]
    spans = {name: (first, last) for name, first, last, complete in
             (con.execute(FILE_SPANS, {"files": readable}).fetchall() if readable else []) if complete}
    return [LedgerFile(f.key, *spans.get(str(f.path), (None, None))) for f in files]


def ledger_span(con: duckdb.DuckDBPyConnection, files: list[LedgerFile]) -> tuple[datetime | None, datetime | None]:
    """The first and last event_ts of the ledger (from the footers when every file's range is known)."""
    if files and all(f.first_ts is not None for f in files):
        return min(f.first_ts for f in files), max(f.last_ts for f in files)
    return con.execute(LEDGER_SPAN).fetchone()


def files_of_month(files: list[LedgerFile], params: dict) -> list[int]:
    return [f.key for f in files if f.first_ts is None
            or (f.first_ts < params["next_month_start"] and f.last_ts >= params["month_start"])]


def _drop_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in _TABLES.values():
        con.execute(f"drop table if exists {table}")


def raw_answer(con: duckdb.DuckDBPyConnection, months: int = MONTHS,
               on_month: Callable[[str, dict], None] | None = None) -> list[tuple]:
    """The answer rows, sorted by month end and scope. `on_month(sql, params)` is called before each month's
    balances statement (explain_plans uses it to pick the heaviest month)."""
    _drop_tables(con)
    # the working tables' row order is never read: let the month's statements write them in parallel
    insertion_order = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("set preserve_insertion_order = false")
    try:
        for name, select in REFERENCE_TABLES.items():
            con.execute(f"create temp table {_TABLES[name]} as {select}")
        files = ledger_files(con)
        first_ts, last_ts = ledger_span(con, files)
        if last_ts is None:
            return []
        first_opening = con.execute(f"select min(month_end) from {_TABLES['opening']}").fetchone()[0]
        first = min(first_ts.date(), first_opening) if first_opening else first_ts.date()
        con.execute(f"create temp table {_TABLES['balances']} "
                    "(warehouse_id varchar, sku_id varchar, quantity bigint, moves bigint, flowed boolean)")
        con.execute(f"create temp table {_TABLES['cells']} (month_end date, warehouse_id varchar, "
                    "category_code varchar, value_usd decimal(38, 2), value_cc decimal(38, 2))")
        balances_sql, cells_sql = _sql(MONTH_BALANCES), _sql(MONTH_CELLS)
        for month_start in _month_starts(first, last_ts.date()):
            params = month_params(month_start)
            params["files"] = files_of_month(files, params)
            if on_month:
                on_month(balances_sql, params)
            con.execute(f"create temp table {_TABLES['next_balances']} as {balances_sql}", params)
            con.execute(f"drop table {_TABLES['balances']}")
            con.execute(f"alter table {_TABLES['next_balances']} rename to {_PREFIX}balances")
            if con.execute(f"select bool_or(flowed) from {_TABLES['balances']}").fetchone()[0]:
                con.execute(f"insert into {_TABLES['cells']} {cells_sql}", {"month_end": params["month_end"]})
        return con.execute(_sql(ANSWER), {"months": months}).fetchall()
    finally:
        _drop_tables(con)
        con.execute(f"set preserve_insertion_order = {bool(insertion_order)}")
