"""Pose streams (JSON Lines of poses): their format, recording one, replaying the coach over one,
evaluating it against labels, and analysing photos and videos."""
