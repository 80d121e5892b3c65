"""simrun: an agent-based simulator of multilateral negotiation (Mesa).

The package turns a scenario file (actors, stances, tension, protocol) into
probabilities of agreement at government level and at business level.
"""

__version__ = "0.1.0"
