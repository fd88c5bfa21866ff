"""Named data volumes the simulator can produce."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    warehouses: int
    skus: int
    transactions_per_day: int  # target average ledger rows per day (shipment lines dominate)
    assortment_floor: float  # chance a warehouse stocks a long-tail SKU; popular SKUs approach 1


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("tiny", warehouses=6, skus=200, transactions_per_day=300, assortment_floor=0.5),
        Scale("small", warehouses=50, skus=5_000, transactions_per_day=20_000, assortment_floor=0.25),
        Scale("medium", warehouses=200, skus=25_000, transactions_per_day=200_000, assortment_floor=0.15),
        Scale("full", warehouses=500, skus=100_000, transactions_per_day=1_000_000, assortment_floor=0.06),
    )
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None
