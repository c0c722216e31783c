"""The DERCI officers' import page (issue 16), in Chromium against the real app: a file is
checked first (the report, nothing recorded), imported on confirmation (exactly the file
checked), a second time unchanged; other roles refused; a file over the bound, a file not
of the formats and a confirmation whose file changed refused in words; French throughout."""

from __future__ import annotations

import base64
import hashlib
import uuid
import zlib
from datetime import timedelta

import yaml

import application.imports as imports_module
from tests.web.conftest import shot
from tests.workflows.test_imports import entry

BAD_AWARD = "awarded amount 120000 EUR outside IRP range 50000–75000"


async def a_file(ts_env, tag: str = "") -> tuple[bytes, list[str], str]:
    """Two good entries (an IRP and an IRN running since three months) and a bad one (an
    award out of the IRP's range): the file, the good ids, the bad id."""
    now = await ts_env.get_current_time()
    start = now - timedelta(days=90)
    run = uuid.uuid4().hex[:6]
    good = [f"IMP-{tag}IRP-{run}", f"IMP-{tag}IRN-{run}"]
    bad = f"IMP-{tag}BAD-{run}"
    entries = [
        entry(good[0], "IRP", start),
        entry(bad, "IRP", start, awarded_eur=120_000),
        entry(good[1], "IRN", start),
    ]
    return yaml.safe_dump(entries, allow_unicode=True).encode(), good, bad


def packed(content: bytes) -> str:
    """A file as the confirmation form carries it (web.imports_page)."""
    return base64.urlsafe_b64encode(zlib.compress(content)).decode()


def upload(name: str, content: bytes) -> dict:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": content}


async def exists(site, pid: str) -> bool:
    r = await site.api.get("derci_officer", f"/projects/{pid}")
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


async def listed(page, selector: str) -> list[str]:
    return await page.locator(f"{selector} li").all_inner_texts()


async def csrf_of(page) -> str:
    return await page.locator("form[action='/ui/signout'] input[name=csrf]").input_value()


async def test_an_officer_checks_a_file_then_imports_exactly_it_and_again_changes_nothing(
    site, page, ts_env
):
    content, good, bad = await a_file(ts_env)
    await site.sign_in(page, "derci_officer")
    await page.get_by_role("link", name="Import projects").click()
    await page.wait_for_url("**/ui/import")
    assert await page.locator("h1").inner_text() == "Bring running projects in"
    assert await page.locator("nav[aria-label=main] a[aria-current=page]").inner_text() == (
        "Import projects"
    )
    help_text = await page.locator("#file-help").inner_text()
    assert ".yaml, .yml, .json" in help_text and "CSV" in help_text and "5 MB" in help_text
    assert await page.locator("#file-help a").count() == 0  # no link out of the service

    # the check: the report, and nothing recorded
    await page.get_by_label("File to import").set_input_files(upload("portfolio.yaml", content))
    await page.get_by_role("button", name="Check the file").click()
    await page.wait_for_selector("#report")
    assert await page.locator("#report-h").inner_text() == (
        "Check of portfolio.yaml: nothing recorded yet"
    )
    assert await page.locator("#summary").inner_text() == (
        "To be created: 2 · unchanged (already imported): 0 · refused: 1"
    )
    assert await listed(page, "#created") == good
    assert await page.locator("#created a").count() == 0  # not projects yet: no links
    cells = await page.locator("#refused tbody tr").first.locator("td").all_inner_texts()
    assert cells == ["1", "—", bad, BAD_AWARD]
    confirm = page.get_by_role("button", name="Import 2 projects")
    assert await confirm.count() == 1
    sha = hashlib.sha256(content).hexdigest()
    assert await page.locator("#confirm input[name=sha256]").input_value() == sha
    await shot(page, "import-checked")
    for pid in [*good, bad]:
        assert not await exists(site, pid)

    # the confirmation: the two good entries created, the bad one still refused
    await confirm.click()
    await page.wait_for_selector("#report-h:has-text('Imported from portfolio.yaml')")
    assert await page.locator("#summary").inner_text() == (
        "Created: 2 · unchanged (already imported): 0 · refused: 1"
    )
    assert await listed(page, "#created") == good
    assert await page.locator("#refused td.error").all_inner_texts() == [BAD_AWARD]
    assert await page.locator("#confirm").count() == 0
    await shot(page, "import-done")
    for pid in good:
        assert await exists(site, pid)
    assert not await exists(site, bad)
    history = await site.api.get("auditor", f"/projects/{good[0]}/history")
    [imported] = [e for e in history.json()["events"] if e["type"] == "ProjectImported"]
    assert imported["actor"] == {"id": "derci-martin", "role": "derci_officer"}
    assert imported["data"]["source"]["file_sha256"] == sha  # the very file checked

    # each created project is a link to its page
    await page.locator("#created").get_by_role("link", name=good[0]).click()
    await page.wait_for_url(f"**/ui/projects/{good[0]}")
    assert good[0] in await page.locator("h1").inner_text()

    # the same file again: unchanged, nothing to confirm
    await page.goto(f"{site.url}/ui/import")
    await page.get_by_label("File to import").set_input_files(upload("portfolio.yaml", content))
    await page.get_by_role("button", name="Check the file").click()
    await page.wait_for_selector("#report")
    assert await page.locator("#summary").inner_text() == (
        "To be created: 0 · unchanged (already imported): 2 · refused: 1"
    )
    assert await listed(page, "#unchanged") == good
    assert await page.locator("#unchanged a").count() == 2
    assert await page.locator("#confirm").count() == 0
    assert await page.locator("#nothing-new").inner_text() == "Nothing to import from this file."


async def test_the_confirmation_imports_only_the_file_that_was_checked(site, page, ts_env):
    content, good, _ = await a_file(ts_env)
    await site.sign_in(page, "derci_officer")
    csrf = await csrf_of(page)
    url = f"{site.url}/ui/import/confirm"
    other, other_good, _ = await a_file(ts_env)
    fields = {
        "csrf": csrf,
        "name": "portfolio.yaml",
        "sha256": hashlib.sha256(content).hexdigest(),  # the checked file's hash...
        "content": packed(other),  # ...another file's bytes
    }
    changed = await page.request.post(url, form=fields)
    assert changed.status == 422
    assert "not the one that was checked" in await changed.text()
    garbled = await page.request.post(url, form={**fields, "content": "@@@not base64"})
    assert garbled.status == 422
    cut = await page.request.post(url, form={**fields, "content": packed(content)[:-8]})
    assert cut.status == 422
    forged = await page.request.post(url, form={**fields, "content": packed(content), "csrf": "x"})
    assert forged.status == 403
    for pid in [*good, *other_good]:
        assert not await exists(site, pid)


async def test_a_file_of_hundreds_of_kilobytes_comes_back_with_its_confirmation(site, page, ts_env):
    """The confirmation carries the file compressed: a file near the bound on form bodies
    (its base64 alone would pass it) is imported as checked."""
    content, good, _ = await a_file(ts_env, "BIG")
    notes = "".join(f"# note {i}: {uuid.uuid4().hex} {uuid.uuid4().hex}\n" for i in range(3000))
    content = notes.encode() + content
    assert 200 * 1024 < len(content) < 250 * 1024
    await site.sign_in(page, "derci_officer")
    await page.goto(f"{site.url}/ui/import")
    await page.get_by_label("File to import").set_input_files(upload("large.yaml", content))
    await page.get_by_role("button", name="Check the file").click()
    await page.get_by_role("button", name="Import 2 projects").click()
    await page.wait_for_selector("#report-h:has-text('Imported from large.yaml')")
    assert await listed(page, "#created") == good


async def test_files_the_page_cannot_take_are_refused_next_to_the_field(
    site, page, ts_env, monkeypatch
):
    content, good, _ = await a_file(ts_env)
    await site.sign_in(page, "derci_officer")
    await page.goto(f"{site.url}/ui/import")
    field = page.get_by_label("File to import")

    # not one of the formats
    await field.set_input_files(upload("portfolio.xlsx", content))
    await page.get_by_role("button", name="Check the file").click()
    error = page.locator("#file-error")
    assert await error.inner_text() == "portfolio.xlsx: choose a .yaml, .yml, .json or .csv file."
    assert await page.locator("#file").get_attribute("aria-invalid") == "true"
    assert "file-error" in await page.locator("#file").get_attribute("aria-describedby")
    assert await page.evaluate("document.activeElement.id") == "file"

    # a file the application cannot read: its own words
    await page.locator("#file").set_input_files(upload("one.yaml", b"project_id: X-1\n"))
    await page.get_by_role("button", name="Check the file").click()
    assert await error.inner_text() == "one.yaml: expected a list of entries"

    # over the bound: said, nothing checked (the bound made small, the file kept small)
    assert len(content) > 2048
    monkeypatch.setattr(imports_module, "MAX_FILE_BYTES", 2048)
    await page.locator("#file").set_input_files(upload("portfolio.yaml", content))
    async with page.expect_response("**/ui/import") as answer:
        await page.get_by_role("button", name="Check the file").click()
    assert (await answer.value).status == 413
    assert (
        await error.inner_text()
        == "portfolio.yaml is larger than 2 KB: split it into smaller files."
    )
    await shot(page, "import-too-big")
    monkeypatch.undo()
    for pid in good:
        assert not await exists(site, pid)

    # no file at all (the browser asks for one first): said, not a 500
    csrf = await csrf_of(page)
    no_file = await page.request.post(f"{site.url}/ui/import", multipart={"csrf": csrf})
    assert no_file.status == 422
    assert "Choose a file to check." in await no_file.text()


async def test_a_coordinator_is_not_offered_the_import_and_a_forged_post_is_refused(
    site, page, ts_env
):
    content, good, _ = await a_file(ts_env)
    await site.sign_in(page, "coordinator")
    assert await page.locator("nav[aria-label=main] a[href='/ui/import']").count() == 0
    response = await page.goto(f"{site.url}/ui/import")
    assert response.status == 403
    assert await page.locator("#refusal").inner_text() == (
        "Refused: coordinator pi-durand may not import a project; only a DERCI officer may"
    )
    assert await page.locator("#upload").count() == 0

    csrf = await csrf_of(page)
    for path, form in (
        ("/ui/import", {"csrf": csrf, "file": upload("portfolio.yaml", content)}),
        (
            "/ui/import/confirm",
            {
                "csrf": csrf,
                "name": "portfolio.yaml",
                "sha256": hashlib.sha256(content).hexdigest(),
                "content": packed(content),
            },
        ),
    ):
        if path == "/ui/import":
            forged = await page.request.post(f"{site.url}{path}", multipart=form)
        else:
            forged = await page.request.post(f"{site.url}{path}", form=form)
        assert forged.status == 403, path
        assert "may not import a project" in await forged.text()
    for pid in good:
        assert not await exists(site, pid)

    # the other roles but a DERCI officer are not offered it either
    for role in ("institute_officer", "auditor", "reviewer"):
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url("**/ui/signin")
        await site.sign_in(page, role)
        assert await page.locator("nav[aria-label=main] a[href='/ui/import']").count() == 0
        assert (await page.goto(f"{site.url}/ui/import")).status == 403


async def test_the_french_page_checks_and_imports_in_french(site, browser, ts_env):
    content, good, bad = await a_file(ts_env, "FR")
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    try:
        await page.goto(f"{site.url}/ui/signin")
        await page.get_by_label("Jeton personnel").fill(site.api.tokens["derci_officer"])
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_url("**/ui/portfolio**")
        await page.get_by_role("link", name="Importer des projets").click()
        await page.wait_for_url("**/ui/import")
        assert await page.locator("h1").inner_text() == "Reprendre des projets en cours"
        help_text = await page.locator("#file-help").inner_text()
        assert "5 Mo au plus" in help_text and "rien n'est enregistré avant" in help_text
        await page.get_by_label("Fichier à importer").set_input_files(
            upload("portefeuille.yaml", content)
        )
        await page.get_by_role("button", name="Vérifier le fichier").click()
        await page.wait_for_selector("#report")
        assert await page.locator("#report-h").inner_text() == (
            "Vérification de portefeuille.yaml : rien n'est encore enregistré"
        )
        assert await page.locator("#summary").inner_text() == (
            "À créer : 2 · inchangés (déjà importés) : 0 · refusés : 1"
        )
        headers = await page.locator("#refused thead th").all_inner_texts()
        assert headers == ["Entrée (à partir de 0)", "Ligne (CSV)", "Projet", "Motif"]
        await shot(page, "import-checked-fr")
        await page.get_by_role("button", name="Importer 2 projets").click()
        await page.wait_for_selector("#report-h:has-text('Importé depuis portefeuille.yaml')")
        assert await page.locator("#summary").inner_text() == (
            "Créés : 2 · inchangés (déjà importés) : 0 · refusés : 1"
        )
        assert await page.locator("#upload h2").inner_text() == "Vérifier un autre fichier"
        for pid in good:
            assert await exists(site, pid)
        assert not await exists(site, bad)

        await page.locator("#file").set_input_files(upload("portefeuille.txt", content))
        await page.get_by_role("button", name="Vérifier le fichier").click()
        assert await page.locator("#file-error").inner_text() == (
            "portefeuille.txt : choisissez un fichier .yaml, .yml, .json ou .csv."
        )
    finally:
        await context.close()
