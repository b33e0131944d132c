"""`make bench`: speed figures measured in one run, printed as ratios (never asserted in tests)."""
