"""Configuration: every tunable setting with its unit, range and reason (:mod:`.settings`), and
where the station keeps its data and models (:mod:`.paths`)."""
