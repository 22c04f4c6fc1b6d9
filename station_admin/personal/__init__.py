"""Personal data's whole life at central (PIPL): a member's data exported or erased, and retention.

- `records`: `export` (everything held about a member, as one document), `erase` (their identity
  removed, counts kept), `erase_request_contact` (a request's contact details gone).
- `retention`: `check` the `[privacy]` settings, `apply` one run (central's node calls it).
- `views`: the staff pages for both, beside the member's page (`/members/<no>/export`, `/erase`).
"""
