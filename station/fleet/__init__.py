"""A fleet's view of a station: Prometheus metrics, MQTT rep events (store and forward from the rep
log), Home Assistant discovery, and the wiring that attaches them to a running station."""
