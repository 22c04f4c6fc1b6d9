"""The pages on a rider's or a partner shop's own phone (/m/...), in the phone frame and the user's language.

- `join`: joining from a kiosk's QR and the member card page.
- `recover`: getting a lost card-page link back with the member number and the phone's last four digits.
- `track`: following a request with its tracking code.
- `directory`: the public station directory.
- `redeem`: redeeming a care-day voucher at a shop.
- `upload`: a hardship case's documents from the worker's phone, by a link the case worker gives.
- `language`: the language switch every phone page shares.
"""
