"""Pairing a station PC with central: codes staff issue, the station's claim, unpairing and removing devices.

`models` holds the codes, the failed attempts and the paired devices; `views` the staff page and
the JSON endpoint `waystation pair` calls. Broker accounts go through core.broker_accounts.
"""
