"""One package per bookkeeping platform; each hands back `connector.domain` objects only."""
