"""The int8 landmark model: its calibration crops, the quantizer recipe and build, and the agreement
gate a build must pass before the station uses it."""
