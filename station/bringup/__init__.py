"""Installer bring-up: does this Pi work, before the installer leaves the gym?

One module per job:

- :mod:`.results`: what a check answers (:class:`~.results.Result`: pass, warn, fail, skipped or
  asked, with its detail and figures);
- :mod:`.checks`: the checks that need nobody (camera, pins, heat, clock, disk, pose speed,
  network address);
- :mod:`.walkthrough`: the steps that need a person at the wall (press the pad, is the red light
  on?), answered by reading the pins when they are virtual;
- :mod:`.report`: the report assembled from the checks, kept in the data folder
  (``bringup.json``, :mod:`station.storage.documents`) and exported as JSON;
- :mod:`.session`: one bring-up of a running station, as the staff page and ``station selftest``
  drive it.

It sits above the runtime (it checks a :class:`~station.runtime.station.Station`) and below the
fleet, which publishes the kept report, and the web and command line, which show it.
"""
