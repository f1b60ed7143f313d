"""The running station: the loop (frames -> pose -> coach -> outputs), the camera keeper, the lights
policy, the rep recorder, health, the hub that web threads read, systemd notify and restart, the pins."""
