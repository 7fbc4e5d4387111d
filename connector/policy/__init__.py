"""Dunning policy: the ladder model, the built-in ladders and the pure planner."""
