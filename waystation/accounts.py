"""`waystation users …` and `waystation tokens …`: staff accounts and API tokens from the command line.

This is how a new installation gets its first admin (`waystation users add NAME --role admin`).
Passwords come from standard input (one line) or are prompted for twice; never from an argument,
which other users of the machine can read. Messages are in the terminal's language (LANG=zh… gives
Chinese, anything else English).
"""

from __future__ import annotations

import getpass
import os
import sys

ROLES = ("admin", "federation", "caseworker", "manager", "shop")


def add_commands(commands, migrate_central, settings_for) -> None:
    """Register the `users` and `tokens` commands; they open central's database with `migrate_central`."""

    def runner(work):
        def run(args) -> int:
            settings = settings_for(args)
            migrate_central(settings)
            return _run(work, args)
        return run

    users = commands.add_parser("users", help="staff accounts: add, passwd, list, disable, enable")
    verbs = users.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("add", help="create a staff user (password from standard input or prompted twice)")
    p.add_argument("name", help="user name they sign in with (lower-case letters, digits, . _ -)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--display-name", default="", help="name shown on pages (default: the user name)")
    _scope_options(p)
    p.set_defaults(run=runner(_users_add))
    p = verbs.add_parser("passwd", help="set a user's password (from standard input or prompted twice)")
    p.add_argument("name")
    p.set_defaults(run=runner(_users_passwd))
    p = verbs.add_parser("list", help="every staff user and token account with role, scope and state")
    p.set_defaults(run=runner(_users_list))
    p = verbs.add_parser("disable", help="stop a user signing in (their open sessions end at once)")
    p.add_argument("name")
    p.set_defaults(run=runner(lambda a, lang: _users_active(a, lang, False)))
    p = verbs.add_parser("enable", help="let a disabled user sign in again")
    p.add_argument("name")
    p.set_defaults(run=runner(lambda a, lang: _users_active(a, lang, True)))

    tokens = commands.add_parser("tokens", help="API tokens: add (printed once), list, revoke")
    verbs = tokens.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("add", help="issue a token with a role and scope; it is printed once, only its hash is kept")
    p.add_argument("name", help="the token's name (its account's user name)")
    p.add_argument("--role", required=True, choices=ROLES)
    _scope_options(p)
    p.set_defaults(run=runner(_tokens_add))
    p = verbs.add_parser("list", help="every token: name, role, created, last used, revoked")
    p.set_defaults(run=runner(_tokens_list))
    p = verbs.add_parser("revoke", help="revoke a token by name (refused at once)")
    p.add_argument("name")
    p.set_defaults(run=runner(_tokens_revoke))


def _scope_options(parser) -> None:
    parser.add_argument("--federation", metavar="CODE", help="scope of a federation user: its federation's code")
    parser.add_argument("--station", action="append", default=[], metavar="CODE",
                        help="scope of a station manager: a station code (repeat for more)")
    parser.add_argument("--centre", type=int, metavar="ID", help="scope of a case worker: the legal-aid centre's id")


def terminal_language() -> str:
    """The terminal's language for messages: zh when LANG (or LC_ALL, LC_MESSAGES) says Chinese, else en."""
    lang = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "zh" if lang.lower().startswith("zh") else "en"


def _run(work, args) -> int:
    from station_admin.admin.refusal import Refused
    from station_admin.core.models import db

    lang = terminal_language()
    try:
        with db.connection_context():
            return work(args, lang) or 0
    except Refused as refused:
        for message in refused.messages(lang):
            print(f"waystation {args.command} {args.verb}: {message}", file=sys.stderr)
        return 1


def _scope(args):
    from station_admin.admin.staff import Scope

    return Scope(federation=args.federation, stations=tuple(args.station), centre=args.centre)


def read_password(lang: str) -> str:
    """The new password: one line of standard input, or typed twice at a terminal (must match)."""
    from station_admin.admin.refusal import Refused
    from waystation.web import translate

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(translate("staff.cli.password", lang) + " ")
    second = getpass.getpass(translate("staff.cli.password_again", lang) + " ")
    if first != second:
        raise Refused.one("staff.error.password_mismatch")
    return first


def _users_add(args, lang: str) -> int:
    from station_admin.admin.staff import add_user
    from waystation.web import translate

    user = add_user(args.name, args.display_name, args.role, read_password(lang), _scope(args))
    print(translate("staff.cli.added", lang, name=user.username, role=user.role))
    return 0


def _users_passwd(args, lang: str) -> int:
    from station_admin.admin.staff import find_user, set_password
    from waystation.web import translate

    user = find_user(args.name)
    set_password(user, read_password(lang))
    print(translate("staff.cli.password_set", lang, name=user.username))
    return 0


def _users_list(args, lang: str) -> int:
    from station_admin.admin.staff import scope_text, staff_users
    from waystation.web import translate

    for user in staff_users():
        state = translate("staff.active" if user.active else "staff.disabled", lang)
        kind = " " + translate("staff.token_account", lang) if user.is_token_account else ""
        print(f"{user.username}\t{user.role}\t{scope_text(user) or '-'}\t{state}{kind}\t{user.display_name}")
    return 0


def _users_active(args, lang: str, active: bool) -> int:
    from station_admin.admin.staff import find_user, set_active
    from waystation.web import translate

    user = find_user(args.name)
    set_active(user, active)
    print(translate("staff.cli.enabled" if active else "staff.cli.disabled", lang, name=user.username))
    return 0


def _tokens_add(args, lang: str) -> int:
    from devices.protocol import utcnow
    from station_admin.admin.staff import add_token
    from waystation.web import translate

    token = add_token(args.name, args.role, _scope(args), utcnow())
    print(translate("staff.cli.token_once", lang, name=args.name), file=sys.stderr)
    print(token)
    return 0


def _tokens_list(args, lang: str) -> int:
    from station_admin.admin.staff import api_tokens

    for token in api_tokens():
        print(f"{token.name}\t{token.user.role}\t{token.created_at:%Y-%m-%d %H:%M}Z\t"
              f"{'used ' + format(token.last_used_at, '%Y-%m-%d %H:%M') + 'Z' if token.last_used_at else 'never used'}"
              f"\t{'revoked ' + format(token.revoked_at, '%Y-%m-%d %H:%M') + 'Z' if token.revoked_at else 'live'}")
    return 0


def _tokens_revoke(args, lang: str) -> int:
    from devices.protocol import utcnow
    from station_admin.admin.staff import revoke_token
    from waystation.web import translate

    revoke_token(args.name, utcnow())
    print(translate("staff.cli.revoked", lang, name=args.name))
    return 0
