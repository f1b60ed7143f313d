"""Kept sets: the loop keeps each set's poses (when staff turn it on) and staff export the labelled ones."""
