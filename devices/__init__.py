"""Station devices: the MQTT wire contract, the client wrapper, device agents and their simulators."""
