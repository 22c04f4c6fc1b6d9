"""Union members and the keys that sign their cards.

- `models`: `Member`, `CardKey`, `join`, `activate`, `revoke`, `reissue`, `ensure_signing_key`,
  `revocation_entries` (what the trust publisher sends to kiosks).
- `views`: the staff pages to find, approve, revoke and re-issue members and to rotate card keys.
"""
