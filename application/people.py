"""Who acts. A person is always someone of the directory: found by their API token (the
API), by their session (the pages) or, on the service's own host, by their id (the CLI's
`--as`, or `COLLAB_TOKEN`). Their role, lab and country are the directory's; nothing a
request or a flag says overrides them. Changes to the directory are an operator's, and
each is recorded with the operator who made it."""

from __future__ import annotations

from pydantic import ValidationError

from application.refusals import Kind, Refusal
from domain.fields import is_person_id
from domain.said import said
from identity.people import DirectoryChange, IssuedTokens, PeopleDirectory, Person, PersonRecord


class Identities:
    def __init__(self, people: PeopleDirectory) -> None:
        self._people = people

    async def by_token(self, token: str) -> Person:
        found = await self._people.authenticate(token.strip())
        if found is None:
            raise Refusal(Kind.IDENTITY, said("unknown or revoked token"), "auth")
        return found

    async def by_id(self, person_id: str) -> Person:
        # an id that could name nobody is not looked up (the database refuses NUL)
        found = await self._people.get(person_id) if is_person_id(person_id) else None
        if found is None:
            shown = person_id if is_person_id(person_id) else repr(person_id[:60])
            raise Refusal(
                Kind.IDENTITY,
                said(
                    "{shown} is not a registered person (or was revoked); an operator "
                    "registers people with `collab users add`",
                    shown=shown,
                ),
                "person.unknown",
            )
        return found

    async def new_calendar_token(self, person: Person) -> str | None:
        return await self._people.new_calendar_token(person.person_id)

    async def by_email(self, email: str) -> Person | None:
        """The one live person with this e-mail (an institution's sign-on); None when
        nobody has it, or several do (who would be meant is not for the service to guess)."""
        found = await self._people.by_email(email.strip())
        return found[0] if len(found) == 1 else None

    async def by_subject(self, issuer: str, subject: str) -> Person | None:
        """The live person an operator linked to this identity provider's subject."""
        return await self._people.by_subject(issuer, subject)


class Directory:
    """The operator's view of the directory (`collab users`)."""

    def __init__(self, people: PeopleDirectory) -> None:
        self._people = people

    async def register(
        self, fields: dict[str, object], operator: str
    ) -> tuple[Person, IssuedTokens]:
        try:
            person = Person.model_validate(fields)
        except ValidationError as err:
            raise Refusal.of_input(err) from err
        try:
            return person, await self._people.add(person, operator=operator)
        except ValueError as err:
            raise Refusal(Kind.CONFLICT, str(err), "person.exists", "person_id") from err

    async def everyone(self) -> list[PersonRecord]:
        return await self._people.everyone()

    async def revoke(self, person_id: str, operator: str) -> None:
        if not await self._people.revoke(person_id, operator=operator):
            raise Refusal(
                Kind.NOT_FOUND,
                said("person {person_id} not found or already revoked", person_id=person_id),
                "person.unknown",
            )

    async def changes(self, person_id: str | None = None) -> list[DirectoryChange]:
        return await self._people.changes(person_id)

    async def link_subject(self, person_id: str, issuer: str, subject: str, operator: str) -> None:
        """Store the subject an identity provider gives this person (sign-on by subject)."""
        try:
            linked = await self._people.link_subject(person_id, issuer, subject, operator=operator)
        except ValueError as err:
            raise Refusal(Kind.CONFLICT, str(err), "person.subject", "subject") from err
        if not linked:
            raise Refusal(
                Kind.NOT_FOUND,
                said("person {person_id} not found or already revoked", person_id=person_id),
                "person.unknown",
            )
