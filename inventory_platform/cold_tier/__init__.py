"""The cold tier: ledger history older than the retention window, as Parquet outside the warehouse."""
