"""Checks a model build must pass before the station installs it (``station models quantize``)."""
