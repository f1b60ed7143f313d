"""Frame sources: each yields ``(timestamp, RGB frame)``; the simulator yields poses instead."""
