"""`collab users add/list/revoke`: the people directory from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from collab.database import open_store
from collab.errors import CliError, describe_validation
from collab.settings import Settings
from identity.people import PeopleDirectory, Person


async def run_users(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    async with open_store(settings) as store:
        people = PeopleDirectory(store)
        if args.users_command == "add":
            try:
                person = Person(
                    person_id=args.person_id,
                    name=args.name,
                    email=args.email,
                    lab=args.lab,
                    country=args.country,
                    role=args.role,
                )
            except ValidationError as err:
                raise CliError(describe_validation(err)) from err
            try:
                tokens = await people.add(person)
            except ValueError as err:
                raise CliError(str(err)) from err
            return (
                {
                    "person": person.model_dump(mode="json"),
                    "token": tokens.api,
                    "calendar_token": tokens.calendar,
                },
                f"{person.person_id} ({person.role.value}) registered. Shown once:\n"
                f"  API token (keep it secret): {tokens.api}\n"
                f"  calendar feed: /calendar/{tokens.calendar}.ics",
            )
        if args.users_command == "list":
            rows = await people.everyone()
            text = "\n".join(
                f"{p.person_id:<20} {p.role.value:<18} {p.email:<32} "
                + ("revoked" if p.revoked_at else "active")
                for p in rows
            )
            return {"people": [p.model_dump(mode="json") for p in rows]}, text
        if await people.revoke(args.person_id):
            return {"revoked": args.person_id}, f"token of {args.person_id} revoked"
        raise CliError(f"person {args.person_id} not found or already revoked")
