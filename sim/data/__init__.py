"""Datasets shipped with simrun: the AI-governance record and DEU III (see README.md here)."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
HISTORY = FOLDER / "history.yaml"
"""The public record of AI-governance outcomes (39 cases), the default of ``simrun backtest history``."""
DEU = FOLDER / "deu3.tsv"
"""DEU III (CC BY 4.0, Arregui & Perarnaud 2021), the default of ``simrun backtest deu``."""
