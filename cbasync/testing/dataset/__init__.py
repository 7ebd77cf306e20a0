"""Generated datasets: every row is a pure function of (seed, index), plus in-memory overrides."""
