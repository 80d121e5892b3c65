"""``python -m sim.cli``: the same as the ``simrun`` command."""

from sim.cli import main

main()
