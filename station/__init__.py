"""Hinge Station: a wall-mounted hip-hinge coach.

Data flows one way: frames -> pose -> coach -> outputs.
"""

__version__ = "0.1.0"
