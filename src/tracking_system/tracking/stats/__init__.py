"""The stats API: rollups for the standard views, the raw-event index for filtered queries."""
