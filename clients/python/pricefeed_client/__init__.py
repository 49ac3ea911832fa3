"""PriceFeed client: ordered quotes and bars from a PriceFeed server, with reconnect, resync and gap detection."""

from .client import (
    DEAD_AFTER_HEARTBEATS,
    JSON,
    PROTO,
    ConnectionState,
    PriceFeedClient,
    PriceFeedError,
    connect,
)
from .bars import MAX_BAR_HISTORY, to_frame

__all__ = [
    "DEAD_AFTER_HEARTBEATS",
    "MAX_BAR_HISTORY",
    "JSON",
    "PROTO",
    "ConnectionState",
    "PriceFeedClient",
    "PriceFeedError",
    "connect",
    "to_frame",
]
