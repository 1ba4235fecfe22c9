"""Frankly: tell customers bad news early, plainly and honestly, and follow through."""

from frankly.errors import (
    Conflict,
    DatabaseUnavailable,
    FranklyError,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from frankly.store import Database

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "Database",
    "DatabaseUnavailable",
    "FranklyError",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "__version__",
]
