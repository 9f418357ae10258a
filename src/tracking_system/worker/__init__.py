"""The worker: consumes the events stream, enriches, stores, rolls up, publishes live."""
