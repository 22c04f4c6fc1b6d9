"""Administration in the product: staff accounts and API tokens, the organisation tree, stations,
and the station codes that send data central does not know.

The functions here do the work for the admin pages, the `waystation users|tokens` commands and the
demo seed alike. Layer: above community (opening hours) and requests (legal-aid centres), below
reports, mobile, node and demo.
"""
