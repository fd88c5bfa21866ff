"""Where GlobalRetail operates: countries, their currencies and distribution-centre cities, and FX levels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    region: str
    currency: str
    weight: float  # share of the warehouse network
    cities: tuple[str, ...]
    southern_hemisphere: bool = False


COUNTRIES: tuple[Country, ...] = (
    Country("US", "NA", "USD", 0.25, ("Memphis", "Columbus", "Dallas", "Atlanta", "Chicago", "Reno", "Phoenix",
                                      "Allentown", "Indianapolis", "Louisville", "Kansas City", "Savannah",
                                      "Seattle", "Denver", "Salt Lake City")),
    Country("CA", "NA", "CAD", 0.05, ("Toronto", "Mississauga", "Montreal", "Calgary", "Vancouver")),
    Country("MX", "NA", "MXN", 0.04, ("Monterrey", "Guadalajara", "Mexico City", "Queretaro")),
    Country("DE", "EU", "EUR", 0.08, ("Hamburg", "Duisburg", "Leipzig", "Frankfurt", "Munich", "Dortmund")),
    Country("FR", "EU", "EUR", 0.05, ("Lyon", "Lille", "Marseille", "Orleans", "Paris")),
    Country("NL", "EU", "EUR", 0.04, ("Rotterdam", "Venlo", "Tilburg", "Amsterdam")),
    Country("ES", "EU", "EUR", 0.03, ("Madrid", "Barcelona", "Zaragoza", "Valencia")),
    Country("IT", "EU", "EUR", 0.03, ("Milan", "Bologna", "Verona", "Piacenza")),
    Country("GB", "EU", "GBP", 0.06, ("Birmingham", "Manchester", "Daventry", "Leeds", "Bristol")),
    Country("PL", "EU", "PLN", 0.03, ("Poznan", "Wroclaw", "Lodz", "Warsaw")),
    Country("SE", "EU", "SEK", 0.02, ("Stockholm", "Gothenburg", "Jonkoping")),
    Country("JP", "APAC", "JPY", 0.06, ("Tokyo", "Osaka", "Nagoya", "Fukuoka", "Saitama")),
    Country("CN", "APAC", "CNY", 0.07, ("Shanghai", "Shenzhen", "Guangzhou", "Beijing", "Chengdu", "Wuhan")),
    Country("KR", "APAC", "KRW", 0.03, ("Incheon", "Busan", "Icheon")),
    Country("SG", "APAC", "SGD", 0.02, ("Singapore Tuas", "Singapore Changi")),
    Country("AU", "APAC", "AUD", 0.03, ("Sydney", "Melbourne", "Brisbane", "Perth"), southern_hemisphere=True),
    Country("IN", "APAC", "INR", 0.04, ("Mumbai", "Delhi", "Bengaluru", "Chennai", "Pune")),
)

COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}

# The first warehouses are placed in this order so even a handful covers all three regions and many currencies.
COVERAGE_ORDER = ("US", "DE", "JP", "CA", "GB", "AU", "MX", "FR", "CN", "NL", "PL", "KR", "ES", "SG", "IT", "SE", "IN")

# USD value of one unit at the start of the history, and daily volatility of its log.
FX_START_LEVELS = {
    "USD": 1.0, "CAD": 0.74, "MXN": 0.055, "EUR": 1.08, "GBP": 1.26, "PLN": 0.25, "SEK": 0.095,
    "JPY": 0.0068, "CNY": 0.14, "KRW": 0.00075, "SGD": 0.74, "AUD": 0.66, "INR": 0.012,
}
FX_DAILY_VOLATILITY = {
    "USD": 0.0, "CAD": 0.0035, "MXN": 0.0070, "EUR": 0.0040, "GBP": 0.0045, "PLN": 0.0060, "SEK": 0.0060,
    "JPY": 0.0050, "CNY": 0.0020, "KRW": 0.0050, "SGD": 0.0025, "AUD": 0.0060, "INR": 0.0025,
}
