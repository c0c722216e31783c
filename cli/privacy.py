"""`collab privacy export PERSON --as ...` and `collab privacy erase PERSON --reason ...
--basis ... --as ...`: a person's data for the data-protection officer (GDPR arts. 15, 17).
`collab privacy seal-existing --reason ... --as ...` seals, once, the events recorded before
sealing began; `collab privacy check-sealing --as ...` checks that they differ from what
they were only by the sealing (README, "Personal data")."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from application.language import in_language, terminal_language
from application.resealing import check_summary, summary
from application.service import Application
from cli.errors import REFUSED, CliError
from cli.steps import acting_person
from cli.users import operator

_DPO = "the data protection officer"


def add_privacy_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("privacy", help="a person's data: export, erasure (data protection)")
    privacy = p.add_subparsers(dest="privacy_command", required=True)

    def acted(name: str, help: str, who: str = _DPO) -> Any:
        """A subcommand taken by a person of the directory (`--as`)."""
        command = common(privacy.add_parser(name, help=help))
        command.set_defaults(step="privacy")
        command.add_argument("--as", dest="actor", metavar="PERSON", help=who)
        command.add_argument("--role", help=argparse.SUPPRESS)
        return command

    e = acted("export", "everything kept about a person, as JSON")
    e.add_argument("person_id", metavar="PERSON")
    r = acted("erase", "erase a person: their key destroyed")
    r.add_argument("person_id", metavar="PERSON")
    r.add_argument("--reason", required=True, help="the request, in a sentence")
    r.add_argument("--basis", required=True, help="the legal basis, e.g. 'GDPR art. 17(1)(a)'")
    k = acted("retention", "who the retention policy erases, when")
    k.add_argument("--apply", action="store_true", help="sweep now, as the daily schedule does")
    s = acted(
        "seal-existing",
        "seal the names and e-mails of events recorded before sealing began (once; back up first)",
    )
    s.add_argument("--reason", required=True, help="why, in a sentence: kept in the statement")
    acted(
        "check-sealing",
        "check, with the people's keys, that events sealed in place differ only by the sealing",
        who=f"{_DPO}, or an auditor",
    )


async def run_privacy(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    person = await acting_person(app, args, {})
    if args.privacy_command == "retention":
        report = await app.privacy.report(
            person, datetime.now(UTC), apply=args.apply, operator=operator()
        )
        lines = [f"retention: {report.years} years after a person's last project ended"]
        for title, entries in (
            ("noticed now" if args.apply else "to notice", report.notice),
            ("erased" if args.apply else "to erase", report.erase),
            ("noticed, waiting", report.noticed),
        ):
            lines += [f"  {title}: {d.person_id} (due {d.due_on:%Y-%m-%d})" for d in entries]
        return report.model_dump(mode="json"), "\n".join(lines)
    if args.privacy_command == "seal-existing":
        sealed = await app.privacy.seal_existing(person, args.reason, operator())
        return sealed.model_dump(mode="json"), in_language(summary(sealed), terminal_language())
    if args.privacy_command == "check-sealing":
        check = await app.privacy.check_sealing(person)
        lines = [in_language(check_summary(check), terminal_language())]
        lines += [
            f"  {u.project_id} v{u.version} (event {u.event_id}): {u.detail}"
            for u in check.unconfirmed
        ]
        if check.differing:
            raise CliError("\n".join(lines), REFUSED, check.model_dump(mode="json"))
        return check.model_dump(mode="json"), "\n".join(lines)
    if args.privacy_command == "export":
        kept = await app.privacy.export(person, args.person_id)
        shown = kept.model_dump(mode="json")
        lines = [
            f"{kept.person_id}: {len(kept.events)} events name them, in "
            f"{len(kept.projects)} projects" + (" (erased)" if kept.erased else ""),
            *(
                f"  {e.recorded_at:%Y-%m-%d} {e.stream_id} v{e.version} {e.type}"
                for e in kept.events
            ),
            "(--json: the whole export)",
        ]
        return shown, "\n".join(lines)
    done = await app.privacy.erase(person, args.person_id, args.reason, args.basis, operator())
    text = (
        f"{done.person_id} erased on {done.erased_at:%Y-%m-%d %H:%M} UTC by {done.erased_by} "
        f"({done.legal_basis}): {len(done.projects)} projects projected again, "
        f"{len(done.running)} running ones told to forget them"
    )
    if done.in_clear:
        text += (
            f"\n  {len(done.in_clear)} events recorded before sealing began still hold their "
            "name in clear: `collab privacy seal-existing` seals them (README, Personal data)"
        )
    return done.model_dump(mode="json"), text
