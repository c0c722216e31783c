"""`collab users add/list/revoke/link-subject`: the people directory, an operator's commands on the
service's host (they need the database). Each change is recorded with the operator: the
OS account running the command."""

from __future__ import annotations

import argparse
import os
import pwd
from typing import Any

from application.service import Application


def operator() -> str:
    """The OS account running the command (its effective uid, not $USER or $LOGNAME, which
    anyone can set)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # no user name for this uid (some containers)
        return f"uid {uid}"


async def run_users(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    if args.users_command == "add":
        person, tokens = await app.directory.register(
            {
                "person_id": args.person_id,
                "name": args.name,
                "email": args.email,
                "lab": args.lab,
                "country": args.country,
                "role": args.role,
            },
            operator(),
        )
        # the composition root sets public_url (COLLAB_PUBLIC_URL): a link to paste whole
        feed = f"{getattr(args, 'public_url', None) or ''}/calendar/{tokens.calendar}.ics"
        return (
            {
                "person": person.model_dump(mode="json"),
                "token": tokens.api,
                "calendar_token": tokens.calendar,
                "calendar_url": feed,
            },
            f"{person.person_id} ({person.role.value}) registered. Shown once:\n"
            f"  API token (keep it secret): {tokens.api}\n"
            f"  calendar feed: {feed}",
        )
    if args.users_command == "list":
        rows = await app.directory.everyone()
        text = "\n".join(
            f"{p.person_id:<20} {p.role.value:<18} {p.email:<32} "
            + ("revoked" if p.revoked_at else "active")
            for p in rows
        )
        return {"people": [p.model_dump(mode="json") for p in rows]}, text
    if args.users_command == "changes":
        changes = await app.directory.changes(args.person_id)
        text = "\n".join(
            f"{c.changed_at:%Y-%m-%d %H:%M} {c.person_id:<20} {c.change:<10} "
            f"by {c.operator} ({c.database_user})"
            for c in changes
        )
        return {"changes": [c.model_dump(mode="json") for c in changes]}, text
    if args.users_command == "link-subject":
        await app.directory.link_subject(args.person_id, args.issuer, args.subject, operator())
        linked = {"person_id": args.person_id, "issuer": args.issuer, "subject": args.subject}
        return linked, f"{args.person_id} signs on as {args.subject} at {args.issuer}"
    await app.directory.revoke(args.person_id, operator())
    return {"revoked": args.person_id}, f"token of {args.person_id} revoked"
