"""``python -m sim``: the same as the ``simrun`` command (:func:`sim.cli.main`)."""

from sim.cli import main

if __name__ == "__main__":
    main()
