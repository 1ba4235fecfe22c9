"""Frankly: tell customers bad news early, plainly and honestly, and follow through."""

from frankly.errors import (
    Conflict,
    DatabaseUnavailable,
    FranklyError,
    IllegalTransition,
    InvalidInput,
    NotFound,
)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name == "Database":
        # lazy: ``frankly.Database`` pulls in SQLAlchemy, which ``frankly check`` never needs
        from frankly.store import Database

        return Database
    raise AttributeError(f"module 'frankly' has no attribute {name!r}")


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
