"""Experiments: replications, studies, sweeps and their executors, sensitivity analysis, backtests."""
