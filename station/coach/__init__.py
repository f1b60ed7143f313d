"""The coach: pure hinge analysis. ``(t, pose, dowel, wall_contact)`` in, snapshot and events out."""
