"""Use cases: each takes the caller, a parsed command and the dependency graph, and returns a view."""
