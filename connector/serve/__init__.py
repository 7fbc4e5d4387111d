"""`dunning serve`: the long-running service (scheduler, health and metrics, signals)."""
