"""PriceFeed client: ordered quotes from a PriceFeed server, with reconnect, resync and gap detection."""

from .client import (
    DEAD_AFTER_HEARTBEATS,
    JSON,
    PROTO,
    ConnectionState,
    PriceFeedClient,
    PriceFeedError,
    connect,
)

__all__ = [
    "DEAD_AFTER_HEARTBEATS",
    "JSON",
    "PROTO",
    "ConnectionState",
    "PriceFeedClient",
    "PriceFeedError",
    "connect",
]
