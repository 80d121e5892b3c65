"""The events the teacher can throw into the class game, and what each does to the world.

:class:`~sim.classroom.classgame.ClassGame` applies them; the teacher's view lists them
(:mod:`sim.classroom.classviews`).
"""

from __future__ import annotations

EVENTS = {
    "export_controls": ("Export controls on AI chips tightened", 0.1, 0.2),
    "incident": ("A serious AI model incident makes the news", -0.1, 0.0),
    "summit": ("A summit brings leaders together", -0.15, -0.1),
    "sanctions": ("Sanctions restrict business contact", 0.05, 0.4),
}
"""The teacher's events: label, change of tension, change of business restriction."""
