"""Device agents: the MQTT side of a station's people counter and charger controller."""
