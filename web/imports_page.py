"""The DERCI officers' import page (issue 16): the file `collab import` reads, uploaded,
checked first (a dry run: the report of what would be created, unchanged and refused, and
nothing recorded), then imported on confirmation, through application.imports as the CLI.

Between the check and the confirmation nothing is kept on the server (the next request may
reach another worker): the confirmation form carries the checked file itself (compressed, in
base64) with its SHA-256, and the import runs on exactly those bytes, refused if they
changed. An import is idempotent anyway: confirming twice creates nothing the second time.
Who may import is the domain's declaration (ImportProject's roles): anyone else is refused
the page, as a step they may not take is refused on a project's page."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import zlib
from collections.abc import Callable
from pathlib import PurePath
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

import application.imports as imports_module
from application.imports import ImportReport
from application.refusals import HTTP_STATUS, Kind, Refusal
from application.service import Application
from domain.authorization import may_issue, require_role
from domain.commands import ImportProject
from domain.errors import DomainError
from identity.people import Person
from web.pages import Viewer, Who

PAGE = "/ui/import"
SUFFIXES = (".yaml", ".yml", ".json", ".csv")
_NAME_LENGTH = 200  # a file's name as shown and carried to the confirmation


def _max_bytes() -> int:
    # read when asked: the application's bound, the one `collab import` applies too
    return imports_module.MAX_FILE_BYTES


def _encoded_bound() -> int:
    """The longest confirmation field: the largest accepted file, compressed (zlib adds a
    few bytes to what it cannot shrink), in base64."""
    packed = _max_bytes() + _max_bytes() // 1000 + 64
    return 4 * ((packed + 2) // 3)


class Render(Protocol):
    def __call__(
        self,
        request: Request,
        name: str,
        who: Viewer | None,
        status: int = 200,
        page_url: str | None = None,
        **context: Any,
    ) -> HTMLResponse: ...


def may_import(person: Person | None) -> bool:
    """Whether this person's role may import at all (the domain's declaration says who):
    asked on every page, for the navigation's link."""
    return person is not None and may_issue(ImportProject, person.actor)


def _role_refusal(person: Person) -> str | None:
    try:
        require_role(ImportProject, person.actor)
    except DomainError as err:
        return Refusal.of_domain(err).message
    return None


class _FileError(Exception):
    """The file cannot be checked or imported: said next to the file field. `key`: the
    page's own words (`import.<key>` in web.i18n); `message`: the application's."""

    def __init__(
        self, status: int, key: str | None = None, name: str = "", message: str | None = None
    ) -> None:
        super().__init__(key or message)
        self.status = status
        self.key = key
        self.name = name
        self.message = message


def mount_import_page(
    router: APIRouter,
    templates: Jinja2Templates,
    application: Application,
    render: Render,
    check_csrf: Callable[[Viewer, str], None],
) -> None:
    imports = application.imports
    templates.env.globals["may_import"] = may_import  # the navigation's link

    def page(request: Request, who: Viewer, status: int = 200, **context: Any) -> HTMLResponse:
        shown: dict[str, Any] = {
            "refusal": None,  # the person may not import: said at the top, no form
            "error": None,  # the file cannot be checked: said next to the file field
            "report": None,
            "counts": None,
            "checked": None,  # the dry run's file, carried by the confirmation form
            "max_size": _size(_max_bytes()),
            **context,
        }
        return render(request, "import.html", who, status, page_url=PAGE, **shown)

    def refused_role(request: Request, who: Viewer) -> HTMLResponse | None:
        message = _role_refusal(who.person)
        if message is None:
            return None
        return page(request, who, HTTP_STATUS[Kind.PERMISSION], refusal=message)

    async def run(
        request: Request, who: Viewer, name: str, content: bytes, *, dry_run: bool
    ) -> HTMLResponse:
        try:
            report = await imports.run(who.person, name, content, dry_run=dry_run)
        except Refusal as refusal:
            status = HTTP_STATUS[refusal.kind]
            if refusal.field == "file":  # the file as a whole: not UTF-8, not a list...
                return page(request, who, status, error=_FileError(status, message=refusal.message))
            return page(request, who, status, refusal=refusal.message)
        checked = _Checked(name, content) if dry_run else None
        return page(request, who, report=report, checked=checked, counts=_counts(report, name))

    @router.get("/import", response_class=HTMLResponse)
    async def import_form(request: Request, who: Who) -> HTMLResponse:
        return refused_role(request, who) or page(request, who)

    @router.post(
        "/import",
        response_class=HTMLResponse,
        form_limits={"max_files": 1, "max_fields": 4},
    )
    async def import_check(
        request: Request,
        who: Who,
        csrf: Annotated[str, Form()] = "",
        file: Annotated[UploadFile | None, File()] = None,
    ) -> HTMLResponse:
        """The dry run: the report of what the file would do, nothing recorded."""
        check_csrf(who, csrf)
        refused = refused_role(request, who)
        if refused is not None:
            return refused
        file_name = _name(file.filename if file is not None else None)
        try:
            if file is None or not file_name:
                raise _FileError(422, "no_file")
            _check_suffix(file_name)
            content = await file.read(_max_bytes() + 1)  # never more than the bound
            _check_size(file_name, len(content))
        except _FileError as error:
            return page(request, who, error.status, error=error)
        return await run(request, who, file_name, content, dry_run=True)

    @router.post(
        "/import/confirm",
        response_class=HTMLResponse,
        # the checked file comes back as one text field: at most the largest accepted, packed
        form_limits={"max_files": 0, "max_fields": 5, "max_part_size": _encoded_bound() + 4},
    )
    async def import_confirm(
        request: Request,
        who: Who,
        csrf: Annotated[str, Form()] = "",
        name: Annotated[str, Form(max_length=_NAME_LENGTH)] = "",
        content: Annotated[str, Form()] = "",
        sha256: Annotated[str, Form(max_length=64)] = "",
    ) -> HTMLResponse:
        """The import of exactly the file that was checked."""
        check_csrf(who, csrf)
        refused = refused_role(request, who)
        if refused is not None:
            return refused
        file_name = _name(name)
        try:
            _check_suffix(file_name)
            data = _unpack(file_name, content)
            digest = hashlib.sha256(data).hexdigest().encode()
            if not secrets.compare_digest(digest, sha256.encode("ascii", "replace")):
                raise _FileError(422, "changed", file_name)
        except _FileError as error:
            return page(request, who, error.status, error=error)
        return await run(request, who, file_name, data, dry_run=False)


class _Checked:
    """The checked file, as the confirmation form carries it back."""

    def __init__(self, name: str, content: bytes) -> None:
        self.name = name
        self.content = _pack(content)
        self.sha256 = hashlib.sha256(content).hexdigest()


def _pack(content: bytes) -> str:
    """The file as a form field: compressed (a page carries a fifth of a YAML file's size,
    and the form stays within the bound on request bodies) and in URL-safe base64 (nothing
    for the form's encoding to escape)."""
    return base64.urlsafe_b64encode(zlib.compress(content, 9)).decode("ascii")


def _unpack(name: str, field: str) -> bytes:
    """The file the confirmation carries, never inflated past the bound."""
    if len(field) > _encoded_bound():
        raise _FileError(413, "too_big", name)
    try:
        packed = base64.urlsafe_b64decode(field.encode("ascii"))
        inflate = zlib.decompressobj()
        content = inflate.decompress(packed, _max_bytes() + 1)
    except (binascii.Error, UnicodeEncodeError, ValueError, zlib.error) as err:
        raise _FileError(422, "changed", name) from err
    _check_size(name, len(content))
    if not inflate.eof:  # cut short
        raise _FileError(422, "changed", name)
    return content


def _counts(report: ImportReport, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "created": len(report.created),
        "unchanged": len(report.unchanged),
        "refused": len(report.refused),
    }


def _size(n: int) -> tuple[int, str]:
    """A bound as people read it: a number and its unit's key (`import.mb`...)."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return n // (1024 * 1024), "mb"
    if n >= 1024:
        return n // 1024, "kb"
    return n, "bytes"


def _name(given: str | None) -> str:
    """The file's own name, without any folder a browser may send, bounded."""
    if not given:
        return ""
    return PurePath(given.replace("\\", "/")).name[:_NAME_LENGTH]


def _check_suffix(name: str) -> None:
    if not name.lower().endswith(SUFFIXES):
        raise _FileError(422, "bad_kind", name)


def _check_size(name: str, size: int) -> None:
    if size > _max_bytes():
        raise _FileError(413, "too_big", name)
