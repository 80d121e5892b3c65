"""The Mesa model and its agents: the API users and the classroom see."""

from sim.model.negotiation import Deal, NegotiationModel

__all__ = ["Deal", "NegotiationModel"]
