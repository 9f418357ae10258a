"""Tracking System: self-hosted event tracking and product analytics on Redis Stack."""

__version__ = "0.1.0"
