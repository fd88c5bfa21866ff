"""Deterministic synthetic GlobalRetail inventory data, written to the landing zone per landing_contract."""

from .scales import SCALES, Scale, get_scale
from .simulator import simulate

__all__ = ["SCALES", "Scale", "get_scale", "simulate"]
