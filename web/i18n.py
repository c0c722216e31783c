"""English and French (the brochure's language): every label a page shows. Domain refusals
keep the rule's own words, which the API returns too."""

from __future__ import annotations

import logging
from collections.abc import Callable

from domain.declarations import DECLARATIONS

LANGUAGES = ("en", "fr")
LANG_COOKIE = "collab_lang"

_EN: dict[str, str] = {
    "app": "CNRS international collaborations",
    "portfolio": "Portfolio",
    "deadlines": "Deadlines",
    "sign_in": "Sign in",
    "sign_out": "Sign out",
    "token": "Personal token",
    "token_help": (
        "Your personal token is given to you by an operator of the service, who registers "
        "each person. You have none yet, or lost it? Ask DERCI's service desk."
    ),
    "bad_token": "Unknown or revoked token.",
    "too_many_sign_ins": "Too many failed sign-ins. Try again in {seconds} seconds.",
    "bad_input_title": "This page cannot be shown as asked",
    "bad_value": "{name} does not accept “{value}”.",
    "bad_missing": "{name} is missing or empty.",
    "back_to_portfolio": "Back to the portfolio",
    # query parameters whose label on the page would not name them
    "param.within": "The period (days)",
    "param.after": "The step's position",
    "signed_in_as": "Signed in as",
    "language": "Language",
    "skip": "Skip to content",
    "instrument": "Instrument",
    "state": "State",
    "institute": "Institute",
    "country": "Country",
    "year": "Year",
    "sort": "Sort by",
    "descending": "Descending",
    "filter": "Filter",
    "all": "All",
    "project": "Project",
    "title": "Title",
    "coordinator": "Coordinator",
    "partners": "Partner labs",
    "countries": "Countries",
    "term": "Term",
    "awarded": "Awarded EUR",
    "released": "Released EUR",
    "awarded_term": "This term's award (EUR)",
    "awarded_total": "Awarded, every term (EUR)",
    "withheld": "Withheld now (EUR)",
    "to_come": "Still to come this term (EUR)",
    "requested": "Requested EUR",
    "totals": "Totals",
    "projects": "projects",
    "export_csv": "Export CSV",
    "no_projects": "No project matches.",
    "shown_of": "{shown} shown of {total}",
    "pages": "Pages",
    "first_page": "First page",
    "next_page": "Next page",
    "chart_released": "Funding released per year, by instrument (EUR)",
    "chart_states": "Projects by state",
    "chart_countries": "Partner countries",
    "timeline": "Term and timeline",
    "tranches": "Tranches",
    "reports": "Reports",
    "renewal": "Renewal",
    "renewals": "Renewals granted",
    "history": "Decision history",
    "chain_ok": "Hash chain intact",
    "chain_broken": "Hash chain broken",
    "event": "Event",
    "business_time": "Business time",
    "recorded_time": "Recorded",
    "actor": "Actor",
    "role": "Role",
    "reason": "Reason",
    "details": "Details",
    "actions": "What you can do now",
    "no_actions": "Nothing for you to do on this project now.",
    "due": "Due",
    "status": "Status",
    "amount": "Amount (in its currency)",
    "year_n": "Year",
    "kind": "Kind",
    "what": "What",
    "within": "Falling due within",
    "days": "days",
    "calendar": "Your calendar (.ics)",
    "calendar_help": "Subscribe to your deadlines from your calendar application.",
    "calendar_new": "Get a new calendar link",
    "calendar_link": "Your calendar link",
    "calendar_once": "Shown once: copy it into your calendar. The previous link no longer works.",
    "no_deadlines": "Nothing falls due in this period.",
    "overdue": "overdue",
    "lab": "Lab",
    "cnrs": "CNRS",
    "location": "Location",
    "call": "Call",
    "submit": "Submit",
    "yes": "Yes",
    "no": "No",
    "none": "none",
    "location_unknown": "Not found",
    "not_found": "This project does not exist or is not yours to see.",
    "refused": "Refused",
    "done": "Recorded",
    "live_note": "This panel follows the project as it changes.",
    # forms: each step as its declaration names it, the words its refusals use too
    **{d.name: d.label for d in DECLARATIONS if d.person is not None},
    "successor_instrument": "Successor instrument",
    "reviewer_id": "Reviewer",
    "score_science": "Science score (1-5)",
    "score_partnership": "Partnership score (1-5)",
    "recommendation": "Recommendation",
    "approve": "Approve",
    "grant": "Grant",
    "accept": "Accept",
    "awarded_eur": "Awarded amount (EUR)",
    "requested_eur": "Requested amount (EUR)",
    "term_starts_at": "Term starts on",
    "summary": "Summary",
    "successor_project_id": "Successor project id",
    # a contribution's fields (co-funding)
    "source_kind": "Contributed by",
    "source_kind.institute": "a CNRS institute",
    "source_kind.partner": "a partner institution abroad",
    "source": "Institute code (such as INSU) or partner institution",
    "currency": "Currency (ISO code, such as EUR or BRL)",
    "eur_rate": "Rate: EUR for 1 unit of the currency",
    "rate_date": "Rate of the day",
    "rate_source": "Rate source (such as ECB reference rate)",
    "cofunding": "Co-funding (EUR)",
    "cnrs_funding": "CNRS funding, every term (EUR)",
    "all_funding": "CNRS and co-funding (EUR)",
    "contributions": "Co-funding",
    "no_contributions": "No co-funding recorded.",
    # amendments' fields
    "lab_name": "Lab name",
    "lab_country": "Lab country (ISO code, such as BR)",
    "lab_cnrs": "A CNRS lab",
    "coordinator_id": "New coordinator's directory id",
    "coordinator_name": "New coordinator's name",
    "coordinator_email": "New coordinator's e-mail",
    "coordinator_lab": "New coordinator's CNRS lab",
    "months": "Months",
    # what an amendment recorded, as the history shows it
    "previous": "Before",
    "term_number": "Term",
    "previous_eur": "Budget before (EUR)",
    "previous_ends_at": "Term end before",
    "ends_at": "Term ends on",
    "suspended_since": "Suspended since",
    "amendment": "Amendment",
    # statuses of tranches, reports, renewals
    "status.planned": "planned",
    "status.released": "released",
    "status.withheld": "withheld",
    "status.forfeited": "forfeited",
    "status.due": "due",
    "status.submitted": "submitted",
    "status.accepted": "accepted",
    "status.rejected": "rejected",
    "status.requested": "requested",
    "status.granted": "granted",
    "status.refused": "refused",
    "chart_data": "The figures",
    # sort keys
    "sort.project_id": "Project",
    "sort.instrument": "Instrument",
    "sort.phase": "State",
    "sort.coordinator": "Coordinator",
    "sort.term_starts_at": "Term start",
    "sort.term_ends_at": "Term end",
    "sort.awarded_eur": "Awarded EUR",
    "sort.released_eur": "Released EUR",
    # states
    "phase.submitted": "submitted",
    "phase.ineligible": "ineligible",
    "phase.under_evaluation": "under evaluation",
    "phase.approved": "approved",
    "phase.rejected": "rejected",
    "phase.active": "active",
    "phase.closed": "closed",
    "phase.terminated": "terminated",
    # --- the portfolio (issue 17): charts, year filter, CSV, a coordinator's own list ---
    "chart_empty_released": "Nothing released yet.",
    "chart_empty_states": "No project to count yet.",
    "chart_empty_countries": "No partner country yet.",
    "chart_count": "Projects",
    "charts_region": "Charts",
    "active_in": "Active in (year)",
    "active_in_year": "Projects active in {year}",
    "active_in_help": (
        "A project is active in a year when its term, or its time from submission to its "
        "end, overlaps that year; an approved project counts from the year its term starts."
    ),
    "portfolio_table": "Projects (the table scrolls sideways)",
    "my_projects": "My projects",
    "my_projects_help": "Your projects, and what each one asks of you next.",
    "next_due": "Next deadline",
    "nothing_due": "Nothing due",
    "csv.file": "portfolio",
    "csv.project_id": "Project",
    "csv.title": "Title",
    "csv.phase": "State",
    "csv.institute": "Institute",
    "csv.coordinator": "Coordinator",
    "csv.labs": "Partner labs",
    "csv.countries": "Countries",
    "csv.term_starts_at": "Term start",
    "csv.term_ends_at": "Term end",
    "csv.awarded_eur": "This term's award (EUR)",
    "csv.total_awarded_eur": "Awarded, every term (EUR)",
    "csv.released_eur": "Released (EUR)",
    "csv.withheld_eur": "Withheld now (EUR)",
    "csv.to_come_eur": "Still to come this term (EUR)",
    "csv.cofunding_eur": "Co-funding (EUR)",
    "csv.all_funding_eur": "CNRS and co-funding (EUR)",
    # --- end of the portfolio ---
    # --- the import page (web/imports_page.py, templates/import.html) ---
    "import.nav": "Import projects",
    "import.title": "Bring running projects in",
    "import.help": (
        "A YAML or JSON list of entries (.yaml, .yml, .json), or a spreadsheet saved as CSV "
        "(.csv, cells separated by , or ;): each entry an application's fields and its "
        "`imported` section, as for `collab import`. At most {size}. The file is checked "
        "first: nothing is recorded until you confirm."
    ),
    "import.file": "File to import",
    "import.check": "Check the file",
    "import.another": "Check another file",
    "import.no_file": "Choose a file to check.",
    "import.bad_kind": "{name}: choose a .yaml, .yml, .json or .csv file.",
    "import.too_big": "{name} is larger than {size}: split it into smaller files.",
    "import.mb": "{n} MB",
    "import.kb": "{n} KB",
    "import.bytes": "{n} bytes",
    "import.changed": (
        "{name}: the file to import is not the one that was checked. Check it again."
    ),
    "import.refusal": "Refused: {message}",
    "import.checked": "Check of {name}: nothing recorded yet",
    "import.done": "Imported from {name}",
    "import.summary_check": (
        "To be created: {created} · unchanged (already imported): {unchanged} · refused: {refused}"
    ),
    "import.summary_done": (
        "Created: {created} · unchanged (already imported): {unchanged} · refused: {refused}"
    ),
    "import.would_create": "To be created",
    "import.created": "Created",
    "import.unchanged": "Unchanged (already imported)",
    "import.refused": "Refused",
    "import.entry": "Entry (from 0)",
    "import.line": "Line (CSV)",
    "import.message": "Why",
    "import.no_project_id": "no project id",
    "import.confirm_one": "Import 1 project",
    "import.confirm_many": "Import {n} projects",
    "import.confirm_help": (
        "Only the entries to be created are recorded; the refused ones are left out: correct "
        "them and import the file again."
    ),
    "import.sha256": "File SHA-256:",
    "import.nothing_new": "Nothing to import from this file.",
    # --- end of the import page ---
    # --- the project page's steps (issue 17: steps that can succeed) ---
    "steps.closed": "Not possible now",
    "steps.closed_help": "These steps are yours, but a rule holds them back for now.",
    "steps.errors": "This step was not recorded",
    "reason.reviews_one": "Approval needs {n} more review; submitted so far: {done}.",
    "reason.reviews_many": "Approval needs {n} more reviews; submitted so far: {done}.",
    "reason.no_reviewer": (
        "No reviewer left to assign: every reviewer in the directory is assigned "
        "already or has a conflict of interest."
    ),
    "reason.report_too_early": "Report {report} can be submitted from {day}.",
    "reason.renewal_not_open": "The renewal window opens on {day}.",
    "reason.renewal_closed": "The renewal window closed on {day}.",
    "reason.report_not_submitted": "No report has been submitted for review yet.",
    "reason.renewal_not_requested": "No renewal has been requested.",
    "reason.not_suspended": "The project is not suspended.",
    "reason.suspended": "The project is suspended.",
    "reason.evaluation_deadline": "The evaluation deadline has passed.",
    "hint.amount": "Between {low} and {high} EUR, typed as 60000 or 60 000.",
    "hint.amount_capped": (
        "Between {low} and {high} EUR (no more than the {requested} EUR requested), "
        "typed as 60000 or 60 000."
    ),
    "hint.date": "Format YYYY-MM-DD, such as {example}.",
    "form.date": "{field}: write the date as YYYY-MM-DD, such as {example}",
    "form.yesno": "{field}: answer yes or no",
    "danger": "Ending the project",
    "danger_help": "Ending a project cannot be undone.",
    "confirm_end": "I confirm ending this project",
    "confirm_needed": "Tick “I confirm ending this project” to end it.",
    "not_allowed_title": "This address is not a page to visit",
    "not_allowed": "It receives a form. Nothing was recorded by visiting it.",
    "no_page_title": "There is no page at this address",
    "no_page": "The address may be mistyped, or come from an older version of the service.",
    "refused_title": "This cannot be done here",
    "nothing_recorded": "Nothing was recorded.",
    "unavailable_title": "The service cannot answer right now",
    "unavailable": "What was recorded before is kept.",
    "calendar_copy": "Copy the link",
    "calendar_copied": "Link copied.",
    "calendar_subscribe": "Subscribe in your calendar application",
    "calendar_replace_title": "Replace your calendar link?",
    "calendar_replace_warning": (
        "Your previous link will stop working: a calendar subscribed with it will no "
        "longer receive your deadlines."
    ),
    "calendar_replace": "Replace my calendar link",
    "cancel": "Cancel",
    "button.AssignReviewer": "Assign the reviewer",
    "button.SubmitReview": "Send the review",
    "button.DecideApplication": "Record the decision",
    "button.SubmitReport": "Submit the report",
    "button.ReviewReport": "Record the report's review",
    "button.RequestRenewal": "Request the renewal",
    "button.DecideRenewal": "Record the renewal decision",
    "button.TerminateProject": "End this project",
    "button.LinkSuccessor": "Link the successor",
    "button.AmendBudget": "Change the budget",
    "button.AddPartnerLab": "Add the lab",
    "button.RemovePartnerLab": "Remove the lab",
    "button.ReplaceCoordinator": "Replace the coordinator",
    "button.ChangeLocation": "Change the location",
    "button.ExtendTerm": "Extend the term",
    "button.SuspendProject": "Suspend the project",
    "button.ResumeProject": "Resume the project",
    "button.RequestAmendment": "Send the request",
    "button.RecordContribution": "Record the contribution",
    # --- end of the project page's steps ---
    # --- the project's history told as sentences (issue 17; the sentences: web.narration) ---
    "history.first_term": "Term 1 is planned to start on {day}.",
    "history.next_term": "The next term is planned to start on {day}.",
    # --- end of the history's sentences ---
    # the money ahead (/ui/forecast)
    "call.nav": "IEA call",
    "call.title": "Call {call_id}",
    "call.years": "Other years",
    "call.stage.coming": "Not open yet",
    "call.stage.open": "Open for applications",
    "call.stage.evaluation": "Under evaluation: rankings, then DERCI's closing",
    "call.stage.closed": "Closed: every application decided",
    "call.window": "Open",
    "call.envelope": "Envelope",
    "call.no_envelope": "none: each application is decided on its own",
    "call.used_proposed": "Used by the proposal",
    "call.used_closed": "Used",
    "call.left": "Left",
    "call.closed_by": "Closed by",
    "call.applications": "Applications by institute",
    "call.none": "No application in this call.",
    "call.no_institute": "No institute named",
    "call.quota": "at most {n} IEAs",
    "call.rank": "Rank",
    "call.score": "Mean score",
    "call.asked": "Asked",
    "call.placement": "Placement",
    "call.why.within": "approved",
    "call.why.envelope": "beyond the envelope",
    "call.why.quota": "beyond the institute's quota",
    "call.why.unranked": "not ranked",
    "call.why.reviews": "too few reviews",
    "call.why.adjusted": "not retained by DERCI",
    "call.rankings": "Rankings",
    "call.no_ranking": "No institute has ranked its applications yet.",
    "call.rank_form": "Rank your institute's applications",
    "call.rank_help": (
        "Your institute's eligible applications, best first: one project per line. A new "
        "ranking replaces the last until DERCI closes the call."
    ),
    "call.ranking_field": "Ranking (best first)",
    "call.rank_submit": "Submit the ranking",
    "call.close_form": "Close the call",
    "call.close_help": (
        "The proposal above places every application in rank order within the envelope and "
        "the quotas. Confirm it, or adjust: one line per project, an amount to award it, 0 to "
        "refuse it. Each project then gets its decision and its coordinator an e-mail."
    ),
    "call.adjustments": "Adjustments (optional)",
    "call.adjustments_error": "Write one adjustment per line: project = amount in EUR.",
    "call.close_submit": "Close the call and decide",
    "call.closed_now": "The call is closed: {approved} approved, {refused} not retained.",
    "call.pending": "{n} decisions could not be taken now: close again to retry them.",
    "call.success": "Success rates",
    "call.by_institute": "By institute",
    "call.by_country": "By partner country",
    "call.decided": "Decided",
    "call.funded": "Funded",
    "call.rate": "Rate",
    "call.no_decision": "No application decided yet.",
    "privacy.nav": "Personal data",
    "privacy.title": "Personal data (GDPR)",
    "privacy.refused": "personal data is the data protection officer's to see and erase",
    "privacy.help": (
        "What the service keeps about a person, to hand over (GDPR art. 15), and their "
        "erasure (art. 17): their name and e-mail become unreadable everywhere, while the "
        "decisions, amounts and dates stay and the record still verifies."
    ),
    "privacy.person": "Person (directory id)",
    "privacy.look": "Look",
    "privacy.kept": "Kept about {person}",
    "privacy.erased": "erased",
    "privacy.name": "Name",
    "privacy.email": "E-mail",
    "privacy.role": "Role",
    "privacy.projects": "Projects",
    "privacy.download": "Download everything as JSON",
    "privacy.events": "{n} events name them",
    "privacy.recorded": "Recorded",
    "privacy.fact": "Fact",
    "privacy.actor": "By",
    "privacy.erase": "Erase this person",
    "privacy.erase_help": (
        "Their key is destroyed: it cannot be undone. The erasure is recorded with your "
        "name, the reason and the legal basis."
    ),
    "privacy.basis": "Legal basis",
    "privacy.confirm": "I confirm the erasure, which cannot be undone",
    "privacy.confirm_error": "Tick the box to confirm the erasure.",
    "privacy.erase_submit": "Erase",
    "privacy.erased_now": (
        "{person} is erased: {projects} projects projected again, {running} running ones "
        "told to forget them."
    ),
    "privacy.in_clear": "{n} events recorded before sealing began still name them in clear.",
    "forecast.nav": "Forecast",
    "forecast.title": "The money ahead",
    "forecast.help": (
        "For each calendar year, by instrument and institute: what was paid, what is planned "
        "and what depends on a report or a renewal, in EUR."
    ),
    "forecast.mine_help": (
        "Your projects' money, for each calendar year: what was paid, what is planned and "
        "what depends on a report or a renewal, in EUR."
    ),
    "forecast.from": "From year",
    "forecast.years": "Years",
    "forecast.show": "Show",
    "forecast.legend": "What each column counts",
    "forecast.chart": "The money ahead per year (EUR)",
    "forecast.paid": "Paid",
    "forecast.paid_help": "tranches released, in the year they were paid",
    "forecast.scheduled": "Scheduled",
    "forecast.scheduled_help": "tranches planned, in the year they fall due",
    "forecast.withheld": "Withheld",
    "forecast.withheld_help": "fell due, waiting for their report",
    "forecast.at_risk": "At risk",
    "forecast.at_risk_help": "planned, but the report they wait for is overdue",
    "forecast.renewals_pending": "Renewals pending",
    "forecast.renewals_pending_help": "what the renewals requested would add if granted",
    "forecast.cofunding": "Co-funding",
    "forecast.cofunding_help": "partners' contributions, beside CNRS's funding",
    "forecast.total": "Total for {year}",
    "forecast.no_institute": "(none)",
    "forecast.nothing": "Nothing paid or planned this year.",
    "param.from": "The first year",
    "param.years": "The number of years",
    # the policy's versions (/ui/policy)
    "policy.nav": "Policy",
    "policy.title": "Funding policy",
    "policy.help": (
        "The rules that are data, in numbered versions each in force from a day: what starts "
        "on a day keeps the version in force that day for its whole life."
    ),
    "policy.refused": "the policy's versions are shown to officers and auditors",
    "policy.in_force": "In force today: version {version}, since {day}",
    "policy.funding": "Funding per instrument (EUR)",
    "policy.min": "Least",
    "policy.max": "Most",
    "policy.max_renewals": "Renewals at most",
    "policy.report_due": "Yearly report due",
    "policy.days_before_anniversary": "{n} days before each anniversary of the term",
    "policy.final_report": "Final report due",
    "policy.months_after_end": "{n} months after the term ends",
    "policy.renewal_window": "Renewal requests open",
    "policy.months_before_end": "{n} months before the term ends",
    "policy.evaluation": "Evaluation period",
    "policy.days": "{n} days",
    "policy.call": "IEA annual call",
    "policy.call_dates": "opens {opens}, closes {closes}",
    "policy.versions": "Every version",
    "policy.version": "Version",
    "policy.effective": "In force from",
    "policy.set_by": "Set by",
    "policy.set_at": "Set on",
    "policy.current": "in force",
    "policy.default_by": "the service's defaults",
    "policy.default_reason": "the rules the service started with",
    "policy.cli": (
        "A new version is set by a DERCI officer through the service's operators, with its "
        "day and its reason; this page only shows them."
    ),
    # --- sign-on with the institution's identity provider (OpenID Connect) ---
    "sign_on.with_institution": "Sign in with your institution",
    "sign_on.or_token": "Or with your personal token",
    "sign_on.refused_title": "Sign-in refused",
    "sign_on.start_again": "Start again",
    "sign_on.no_flow": (
        "This sign-in was not started in this browser, or took more than ten minutes: "
        "nobody was signed in. Start again."
    ),
    "sign_on.bad_state": (
        "The identity provider's answer does not belong to the sign-in this browser started: "
        "nobody was signed in. Start again."
    ),
    "sign_on.provider_said": "Your institution's identity provider did not sign you in ({error}).",
    "sign_on.bad_answer": (
        "The identity provider's answer could not be verified: nobody was signed in."
    ),
    "sign_on.code_refused": (
        "The identity provider refused this sign-in's code (already used, or expired): nobody "
        "was signed in. Start again."
    ),
    "sign_on.no_email": (
        "Your institution's identity provider gave no verified e-mail address: the service "
        "finds people in its directory by it."
    ),
    "sign_on.unknown_person": (
        "Your institution knows you as {who}, but nobody in this service's directory matches "
        "you, so you cannot sign in. An operator of the service registers each person: ask "
        "DERCI's service desk."
    ),
    "sign_on.unreachable": (
        "Your institution's identity provider cannot be reached just now. Try again in a moment."
    ),
    "sign_on.signed_out": "You are signed out of this service",
    "sign_on.signing_out_there": "You are now being signed out at your institution too.",
    "sign_on.continue": "Continue",
}

_FR: dict[str, str] = {
    "app": "Collaborations internationales du CNRS",
    "portfolio": "Portefeuille",
    "deadlines": "Échéances",
    "sign_in": "Se connecter",
    "sign_out": "Se déconnecter",
    "token": "Jeton personnel",
    "token_help": (
        "Votre jeton personnel vous est remis par un opérateur du service, qui enregistre "
        "chaque personne. Vous n'en avez pas encore, ou vous l'avez perdu ? Demandez-le au "
        "service d'assistance de la DERCI."
    ),
    "bad_token": "Jeton inconnu ou révoqué.",
    "too_many_sign_ins": ("Trop de connexions échouées. Réessayez dans {seconds} secondes."),
    "bad_input_title": "Cette page ne peut pas être affichée ainsi",
    "bad_value": "{name} n'accepte pas « {value} ».",
    "bad_missing": "{name} : valeur manquante ou vide.",
    "back_to_portfolio": "Retour au portefeuille",
    "param.within": "La période (jours)",
    "param.after": "La position de l'étape",
    "signed_in_as": "Connecté·e en tant que",
    "language": "Langue",
    "skip": "Aller au contenu",
    "instrument": "Instrument",
    "state": "État",
    "institute": "Institut",
    "country": "Pays",
    "year": "Année",
    "sort": "Trier par",
    "descending": "Décroissant",
    "filter": "Filtrer",
    "all": "Tous",
    "project": "Projet",
    "title": "Titre",
    "coordinator": "Coordinateur·rice",
    "partners": "Laboratoires partenaires",
    "countries": "Pays",
    "term": "Période",
    "awarded": "Montant attribué (EUR)",
    "released": "Montant versé (EUR)",
    "awarded_term": "Attribué pour ce mandat (EUR)",
    "awarded_total": "Attribué, tous mandats (EUR)",
    "withheld": "Retenu actuellement (EUR)",
    "to_come": "Encore à verser ce mandat (EUR)",
    "requested": "Montant demandé (EUR)",
    "totals": "Totaux",
    "projects": "projets",
    "export_csv": "Exporter en CSV",
    "no_projects": "Aucun projet ne correspond.",
    "shown_of": "{shown} affichés sur {total}",
    "pages": "Navigation entre les pages",
    "first_page": "Première page",
    "next_page": "Page suivante",
    "chart_released": "Financements versés par année et par instrument (EUR)",
    "chart_states": "Projets par état",
    "chart_countries": "Pays partenaires",
    "timeline": "Période et calendrier",
    "tranches": "Tranches",
    "reports": "Rapports",
    "renewal": "Renouvellement",
    "renewals": "Renouvellements accordés",
    "history": "Historique des décisions",
    "chain_ok": "Chaîne d'empreintes intacte",
    "chain_broken": "Chaîne d'empreintes rompue",
    "event": "Événement",
    "business_time": "Date métier",
    "recorded_time": "Enregistré le",
    "actor": "Acteur",
    "role": "Rôle",
    "reason": "Motif",
    "details": "Détails",
    "actions": "Ce que vous pouvez faire maintenant",
    "no_actions": "Aucune action de votre part sur ce projet pour l'instant.",
    "due": "Échéance",
    "status": "Statut",
    "amount": "Montant (dans sa devise)",
    "year_n": "Année",
    "kind": "Type",
    "what": "Objet",
    "within": "Échéances dans les",
    "days": "jours",
    "calendar": "Votre calendrier (.ics)",
    "calendar_help": "Abonnez-vous à vos échéances depuis votre agenda.",
    "calendar_new": "Obtenir un nouveau lien d'agenda",
    "calendar_link": "Votre lien d'agenda",
    "calendar_once": (
        "Affiché une seule fois : copiez-le dans votre agenda. L'ancien lien ne fonctionne plus."
    ),
    "no_deadlines": "Aucune échéance sur cette période.",
    "overdue": "en retard",
    "lab": "Laboratoire",
    "cnrs": "CNRS",
    "location": "Implantation",
    "call": "Appel",
    "submit": "Envoyer",
    "yes": "Oui",
    "no": "Non",
    "none": "aucun",
    "location_unknown": "Introuvable",
    "not_found": "Ce projet n'existe pas ou ne vous est pas accessible.",
    "refused": "Refusé",
    "done": "Enregistré",
    "live_note": "Ce panneau suit le projet au fil de ses changements.",
    "AssignReviewer": "Désigner un·e évaluateur·rice",
    "SubmitReview": "Rendre votre évaluation",
    "DecideApplication": "Décider de la demande",
    "SubmitReport": "Déposer le rapport",
    "ReviewReport": "Examiner le rapport",
    "RequestRenewal": "Demander le renouvellement",
    "DecideRenewal": "Décider du renouvellement",
    "TerminateProject": "Mettre fin au projet",
    "LinkSuccessor": "Lier un projet successeur",
    "SubmitApplication": "Déposer une demande",
    "AmendBudget": "Modifier le budget",
    "AddPartnerLab": "Ajouter un laboratoire partenaire",
    "RemovePartnerLab": "Retirer un laboratoire partenaire",
    "ReplaceCoordinator": "Remplacer le coordinateur ou la coordinatrice",
    "ChangeLocation": "Changer l'implantation",
    "ExtendTerm": "Prolonger la période",
    "SuspendProject": "Suspendre le projet",
    "ResumeProject": "Reprendre le projet",
    "RequestAmendment": "Demander une modification",
    "RecordContribution": "Enregistrer un cofinancement",
    "source_kind": "Apporté par",
    "source_kind.institute": "un institut du CNRS",
    "source_kind.partner": "une institution partenaire à l'étranger",
    "source": "Code de l'institut (par exemple INSU) ou institution partenaire",
    "currency": "Devise (code ISO, par exemple EUR ou BRL)",
    "eur_rate": "Taux : EUR pour 1 unité de la devise",
    "rate_date": "Taux du jour",
    "rate_source": "Source du taux (par exemple taux de référence BCE)",
    "cofunding": "Cofinancement (EUR)",
    "cnrs_funding": "Financement CNRS, tous mandats (EUR)",
    "all_funding": "CNRS et cofinancement (EUR)",
    "contributions": "Cofinancements",
    "no_contributions": "Aucun cofinancement enregistré.",
    "lab_name": "Nom du laboratoire",
    "lab_country": "Pays du laboratoire (code ISO, par exemple BR)",
    "lab_cnrs": "Un laboratoire du CNRS",
    "coordinator_id": "Identifiant annuaire du nouveau coordinateur·rice",
    "coordinator_name": "Nom du nouveau coordinateur·rice",
    "coordinator_email": "Courriel du nouveau coordinateur·rice",
    "coordinator_lab": "Laboratoire CNRS du nouveau coordinateur·rice",
    "months": "Mois",
    "previous": "Avant",
    "term_number": "Période",
    "previous_eur": "Budget avant (EUR)",
    "previous_ends_at": "Fin de période avant",
    "ends_at": "Fin de période",
    "suspended_since": "Suspendu depuis",
    "amendment": "Modification",
    "reviewer_id": "Évaluateur·rice",
    "score_science": "Note scientifique (1-5)",
    "score_partnership": "Note partenariat (1-5)",
    "recommendation": "Recommandation",
    "approve": "Approuver",
    "grant": "Accorder",
    "accept": "Accepter",
    "awarded_eur": "Montant attribué (EUR)",
    "requested_eur": "Montant demandé (EUR)",
    "term_starts_at": "Début de la période",
    "summary": "Résumé",
    "successor_project_id": "Identifiant du projet successeur",
    "successor_instrument": "Instrument successeur",
    "status.planned": "prévue",
    "status.released": "versée",
    "status.withheld": "retenue",
    "status.forfeited": "perdue",
    "status.due": "attendu",
    "status.submitted": "déposé",
    "status.accepted": "accepté",
    "status.rejected": "refusé",
    "status.requested": "demandé",
    "status.granted": "accordé",
    "status.refused": "refusé",
    "chart_data": "Les chiffres",
    "sort.project_id": "Projet",
    "sort.instrument": "Instrument",
    "sort.phase": "État",
    "sort.coordinator": "Coordinateur·rice",
    "sort.term_starts_at": "Début de période",
    "sort.term_ends_at": "Fin de période",
    "sort.awarded_eur": "Montant attribué",
    "sort.released_eur": "Montant versé",
    "phase.submitted": "déposé",
    "phase.ineligible": "non éligible",
    "phase.under_evaluation": "en évaluation",
    "phase.approved": "approuvé",
    "phase.rejected": "refusé",
    "phase.active": "actif",
    "phase.closed": "clos",
    "phase.terminated": "arrêté",
    # --- le portefeuille (issue 17) : graphiques, filtre par année, CSV, projets coordonnés ---
    "chart_empty_released": "Rien n'a encore été versé.",
    "chart_empty_states": "Aucun projet à compter pour l'instant.",
    "chart_empty_countries": "Aucun pays partenaire pour l'instant.",
    "chart_count": "Projets",
    "charts_region": "Graphiques",
    "active_in": "Actifs en (année)",
    "active_in_year": "Projets actifs en {year}",
    "active_in_help": (
        "Un projet est actif une année si sa période, ou le temps de son dépôt à sa fin, "
        "couvre une partie de cette année ; un projet approuvé compte dès l'année où sa "
        "période commence."
    ),
    "portfolio_table": "Projets (le tableau défile horizontalement)",
    "my_projects": "Mes projets",
    "my_projects_help": "Vos projets, et ce que chacun attend de vous ensuite.",
    "next_due": "Prochaine échéance",
    "nothing_due": "Aucune échéance",
    "csv.file": "portefeuille",
    "csv.project_id": "Projet",
    "csv.title": "Titre",
    "csv.phase": "État",
    "csv.institute": "Institut",
    "csv.coordinator": "Coordinateur·rice",
    "csv.labs": "Laboratoires partenaires",
    "csv.countries": "Pays",
    "csv.term_starts_at": "Début de période",
    "csv.term_ends_at": "Fin de période",
    "csv.awarded_eur": "Attribué pour ce mandat (EUR)",
    "csv.total_awarded_eur": "Attribué, tous mandats (EUR)",
    "csv.released_eur": "Versé (EUR)",
    "csv.withheld_eur": "Retenu actuellement (EUR)",
    "csv.to_come_eur": "Encore à verser ce mandat (EUR)",
    "csv.cofunding_eur": "Cofinancement (EUR)",
    "csv.all_funding_eur": "CNRS et cofinancement (EUR)",
    # --- fin du portefeuille ---
    # --- la page d'import (web/imports_page.py, templates/import.html) ---
    "import.nav": "Importer des projets",
    "import.title": "Reprendre des projets en cours",
    "import.help": (
        "Une liste d'entrées en YAML ou JSON (.yaml, .yml, .json), ou un tableur enregistré "
        "en CSV (.csv, cellules séparées par , ou ;) : chaque entrée reprend les champs d'une "
        "demande et sa section `imported`, comme pour `collab import`. {size} au plus. Le "
        "fichier est d'abord vérifié : rien n'est enregistré avant votre confirmation."
    ),
    "import.file": "Fichier à importer",
    "import.check": "Vérifier le fichier",
    "import.another": "Vérifier un autre fichier",
    "import.no_file": "Choisissez un fichier à vérifier.",
    "import.bad_kind": "{name} : choisissez un fichier .yaml, .yml, .json ou .csv.",
    "import.too_big": "{name} dépasse {size} : découpez-le en fichiers plus petits.",
    "import.mb": "{n} Mo",
    "import.kb": "{n} Ko",
    "import.bytes": "{n} octets",
    "import.changed": (
        "{name} : le fichier à importer n'est pas celui qui a été vérifié. Vérifiez-le à nouveau."
    ),
    "import.refusal": "Refusé : {message}",
    "import.checked": "Vérification de {name} : rien n'est encore enregistré",
    "import.done": "Importé depuis {name}",
    "import.summary_check": (
        "À créer : {created} · inchangés (déjà importés) : {unchanged} · refusés : {refused}"
    ),
    "import.summary_done": (
        "Créés : {created} · inchangés (déjà importés) : {unchanged} · refusés : {refused}"
    ),
    "import.would_create": "À créer",
    "import.created": "Créés",
    "import.unchanged": "Inchangés (déjà importés)",
    "import.refused": "Refusés",
    "import.entry": "Entrée (à partir de 0)",
    "import.line": "Ligne (CSV)",
    "import.message": "Motif",
    "import.no_project_id": "sans identifiant de projet",
    "import.confirm_one": "Importer 1 projet",
    "import.confirm_many": "Importer {n} projets",
    "import.confirm_help": (
        "Seules les entrées à créer sont enregistrées ; les entrées refusées sont laissées de "
        "côté : corrigez-les et importez à nouveau le fichier."
    ),
    "import.sha256": "SHA-256 du fichier :",
    "import.nothing_new": "Rien à importer depuis ce fichier.",
    # --- fin de la page d'import ---
    # --- les étapes de la page projet (issue 17) ---
    "steps.closed": "Pas possible pour l'instant",
    "steps.closed_help": "Ces étapes vous reviennent, mais une règle les retient pour l'instant.",
    "steps.errors": "Cette étape n'a pas été enregistrée",
    "reason.reviews_one": (
        "L'approbation demande encore {n} évaluation ; évaluations rendues : {done}."
    ),
    "reason.reviews_many": (
        "L'approbation demande encore {n} évaluations ; évaluations rendues : {done}."
    ),
    "reason.no_reviewer": (
        "Plus personne à désigner : tous les évaluateurs et évaluatrices de l'annuaire "
        "sont déjà désignés ou en conflit d'intérêts."
    ),
    "reason.report_too_early": "Le rapport {report} pourra être déposé à partir du {day}.",
    "reason.renewal_not_open": "La période de demande de renouvellement s'ouvre le {day}.",
    "reason.renewal_closed": "La période de demande de renouvellement s'est close le {day}.",
    "reason.report_not_submitted": "Aucun rapport n'a encore été déposé pour examen.",
    "reason.renewal_not_requested": "Aucun renouvellement n'a été demandé.",
    "reason.not_suspended": "Le projet n'est pas suspendu.",
    "reason.suspended": "Le projet est suspendu.",
    "reason.evaluation_deadline": "La date limite de l'évaluation est passée.",
    "hint.amount": "Entre {low} et {high} EUR, saisi comme 60000 ou 60 000.",
    "hint.amount_capped": (
        "Entre {low} et {high} EUR (pas plus que les {requested} EUR demandés), saisi "
        "comme 60000 ou 60 000."
    ),
    "hint.date": "Format AAAA-MM-JJ, par exemple {example}.",
    "form.date": "{field} : écrivez la date sous la forme AAAA-MM-JJ, par exemple {example}",
    "form.yesno": "{field} : répondez oui ou non",
    "danger": "Fin du projet",
    "danger_help": "Mettre fin à un projet est irréversible.",
    "confirm_end": "Je confirme mettre fin à ce projet",
    "confirm_needed": "Cochez « Je confirme mettre fin à ce projet » pour y mettre fin.",
    "not_allowed_title": "Cette adresse n'est pas une page à consulter",
    "not_allowed": "Elle reçoit un formulaire. Rien n'a été enregistré en la consultant.",
    "no_page_title": "Il n'y a pas de page à cette adresse",
    "no_page": "L'adresse est peut-être mal saisie, ou vient d'une version antérieure du service.",
    "refused_title": "Cela ne peut pas être fait ici",
    "nothing_recorded": "Rien n'a été enregistré.",
    "unavailable_title": "Le service ne peut pas répondre pour l'instant",
    "unavailable": "Ce qui a été enregistré auparavant est conservé.",
    "calendar_copy": "Copier le lien",
    "calendar_copied": "Lien copié.",
    "calendar_subscribe": "S'abonner dans votre application d'agenda",
    "calendar_replace_title": "Remplacer votre lien d'agenda ?",
    "calendar_replace_warning": (
        "Votre lien précédent cessera de fonctionner : un agenda abonné avec lui ne "
        "recevra plus vos échéances."
    ),
    "calendar_replace": "Remplacer mon lien d'agenda",
    "cancel": "Annuler",
    "button.AssignReviewer": "Désigner l'évaluateur·rice",
    "button.SubmitReview": "Envoyer l'évaluation",
    "button.DecideApplication": "Enregistrer la décision",
    "button.SubmitReport": "Déposer le rapport",
    "button.ReviewReport": "Enregistrer l'examen du rapport",
    "button.RequestRenewal": "Demander le renouvellement",
    "button.DecideRenewal": "Enregistrer la décision de renouvellement",
    "button.TerminateProject": "Mettre fin à ce projet",
    "button.LinkSuccessor": "Lier le successeur",
    "button.AmendBudget": "Modifier le budget",
    "button.AddPartnerLab": "Ajouter le laboratoire",
    "button.RemovePartnerLab": "Retirer le laboratoire",
    "button.ReplaceCoordinator": "Remplacer la coordination",
    "button.ChangeLocation": "Changer l'implantation",
    "button.ExtendTerm": "Prolonger la période",
    "button.SuspendProject": "Suspendre le projet",
    "button.ResumeProject": "Reprendre le projet",
    "button.RequestAmendment": "Envoyer la demande",
    "button.RecordContribution": "Enregistrer le cofinancement",
    # --- fin des étapes de la page projet ---
    # --- l'historique du projet raconté en phrases (issue 17 ; les phrases : web.narration) ---
    "history.first_term": "La période 1 doit commencer le {day}.",
    "history.next_term": "La période suivante doit commencer le {day}.",
    # --- fin des phrases de l'historique ---
    # the money ahead (/ui/forecast)
    "call.nav": "Appel IEA",
    "call.title": "Appel {call_id}",
    "call.years": "Autres années",
    "call.stage.coming": "Pas encore ouvert",
    "call.stage.open": "Ouvert aux candidatures",
    "call.stage.evaluation": "En évaluation : classements, puis clôture par la DERCI",
    "call.stage.closed": "Clos : toutes les demandes décidées",
    "call.window": "Ouvert",
    "call.envelope": "Enveloppe",
    "call.no_envelope": "aucune : chaque demande est décidée seule",
    "call.used_proposed": "Engagé par la proposition",
    "call.used_closed": "Engagé",
    "call.left": "Reste",
    "call.closed_by": "Clos par",
    "call.applications": "Demandes par institut",
    "call.none": "Aucune demande dans cet appel.",
    "call.no_institute": "Aucun institut indiqué",
    "call.quota": "au plus {n} IEA",
    "call.rank": "Rang",
    "call.score": "Note moyenne",
    "call.asked": "Demandé",
    "call.placement": "Classement",
    "call.why.within": "retenue",
    "call.why.envelope": "au-delà de l'enveloppe",
    "call.why.quota": "au-delà du quota de l'institut",
    "call.why.unranked": "non classée",
    "call.why.reviews": "trop peu d'évaluations",
    "call.why.adjusted": "non retenue par la DERCI",
    "call.rankings": "Classements",
    "call.no_ranking": "Aucun institut n'a encore classé ses demandes.",
    "call.rank_form": "Classer les demandes de votre institut",
    "call.rank_help": (
        "Les demandes éligibles de votre institut, la meilleure d'abord : un projet par "
        "ligne. Un nouveau classement remplace le précédent jusqu'à la clôture par la DERCI."
    ),
    "call.ranking_field": "Classement (la meilleure d'abord)",
    "call.rank_submit": "Envoyer le classement",
    "call.close_form": "Clore l'appel",
    "call.close_help": (
        "La proposition ci-dessus place chaque demande par rang dans l'enveloppe et les "
        "quotas. Confirmez-la, ou ajustez : une ligne par projet, le montant à lui "
        "attribuer, 0 pour la refuser. Chaque projet reçoit alors sa décision et son "
        "coordinateur un courriel."
    ),
    "call.adjustments": "Ajustements (facultatif)",
    "call.adjustments_error": "Une ligne par ajustement : projet = montant en euros.",
    "call.close_submit": "Clore l'appel et décider",
    "call.closed_now": "L'appel est clos : {approved} retenues, {refused} non retenues.",
    "call.pending": (
        "{n} décisions n'ont pu être prises maintenant : clore à nouveau pour les reprendre."
    ),
    "call.success": "Taux de succès",
    "call.by_institute": "Par institut",
    "call.by_country": "Par pays partenaire",
    "call.decided": "Décidées",
    "call.funded": "Financées",
    "call.rate": "Taux",
    "call.no_decision": "Aucune demande décidée pour l'instant.",
    "privacy.nav": "Données personnelles",
    "privacy.title": "Données personnelles (RGPD)",
    "privacy.refused": (
        "les données personnelles sont consultées et effacées par le ou la délégué·e à la "
        "protection des données"
    ),
    "privacy.help": (
        "Ce que le service conserve sur une personne, à lui remettre (RGPD art. 15), et son "
        "effacement (art. 17) : son nom et son courriel deviennent illisibles partout, "
        "les décisions, montants et dates restent et le registre se vérifie toujours."
    ),
    "privacy.person": "Personne (identifiant de l'annuaire)",
    "privacy.look": "Consulter",
    "privacy.kept": "Conservé sur {person}",
    "privacy.erased": "effacée",
    "privacy.name": "Nom",
    "privacy.email": "Courriel",
    "privacy.role": "Rôle",
    "privacy.projects": "Projets",
    "privacy.download": "Tout télécharger en JSON",
    "privacy.events": "{n} événements la nomment",
    "privacy.recorded": "Enregistré",
    "privacy.fact": "Fait",
    "privacy.actor": "Par",
    "privacy.erase": "Effacer cette personne",
    "privacy.erase_help": (
        "Sa clé est détruite : c'est irréversible. L'effacement est enregistré avec "
        "votre nom, le motif et la base légale."
    ),
    "privacy.basis": "Base légale",
    "privacy.confirm": "Je confirme l'effacement, irréversible",
    "privacy.confirm_error": "Cochez la case pour confirmer l'effacement.",
    "privacy.erase_submit": "Effacer",
    "privacy.erased_now": (
        "{person} est effacée : {projects} projets projetés à nouveau, {running} en "
        "cours invités à l'oublier."
    ),
    "privacy.in_clear": (
        "{n} événements enregistrés avant le scellement la nomment encore en clair."
    ),
    "forecast.nav": "Prévisions",
    "forecast.title": "Les montants à venir",
    "forecast.help": (
        "Pour chaque année civile, par instrument et par institut : ce qui a été versé, ce qui "
        "est prévu et ce qui dépend d'un rapport ou d'un renouvellement, en euros."
    ),
    "forecast.mine_help": (
        "Les montants de vos projets, pour chaque année civile : ce qui a été versé, ce qui "
        "est prévu et ce qui dépend d'un rapport ou d'un renouvellement, en euros."
    ),
    "forecast.from": "À partir de l'année",
    "forecast.years": "Années",
    "forecast.show": "Afficher",
    "forecast.legend": "Ce que compte chaque colonne",
    "forecast.chart": "Les montants à venir par année (EUR)",
    "forecast.paid": "Versé",
    "forecast.paid_help": "tranches versées, l'année de leur versement",
    "forecast.scheduled": "Prévu",
    "forecast.scheduled_help": "tranches prévues, l'année de leur échéance",
    "forecast.withheld": "Retenu",
    "forecast.withheld_help": "échues, en attente de leur rapport",
    "forecast.at_risk": "Menacé",
    "forecast.at_risk_help": "prévues, mais le rapport qu'elles attendent est en retard",
    "forecast.renewals_pending": "Renouvellements en attente",
    "forecast.renewals_pending_help": (
        "ce qu'ajouteraient les renouvellements demandés s'ils étaient accordés"
    ),
    "forecast.cofunding": "Cofinancement",
    "forecast.cofunding_help": "contributions des partenaires, en plus du financement du CNRS",
    "forecast.total": "Total pour {year}",
    "forecast.no_institute": "(aucun)",
    "forecast.nothing": "Rien de versé ni de prévu cette année.",
    "param.from": "La première année",
    "param.years": "Le nombre d'années",
    # the policy's versions (/ui/policy)
    "policy.nav": "Règles",
    "policy.title": "Règles de financement",
    "policy.help": (
        "Les règles qui sont des données, en versions numérotées, chacune en vigueur à partir "
        "d'un jour : ce qui commence un jour garde toute sa vie la version en vigueur ce jour-là."
    ),
    "policy.refused": "les versions des règles sont montrées aux gestionnaires et aux auditeurs",
    "policy.in_force": "En vigueur aujourd'hui : version {version}, depuis le {day}",
    "policy.funding": "Financement par instrument (EUR)",
    "policy.min": "Minimum",
    "policy.max": "Maximum",
    "policy.max_renewals": "Renouvellements au plus",
    "policy.report_due": "Rapport annuel dû",
    "policy.days_before_anniversary": "{n} jours avant chaque anniversaire du mandat",
    "policy.final_report": "Rapport final dû",
    "policy.months_after_end": "{n} mois après la fin du mandat",
    "policy.renewal_window": "Demandes de renouvellement ouvertes",
    "policy.months_before_end": "{n} mois avant la fin du mandat",
    "policy.evaluation": "Durée de l'évaluation",
    "policy.days": "{n} jours",
    "policy.call": "Appel annuel IEA",
    "policy.call_dates": "ouvre le {opens}, ferme le {closes}",
    "policy.versions": "Toutes les versions",
    "policy.version": "N° de version",
    "policy.effective": "En vigueur à partir du",
    "policy.set_by": "Fixée par",
    "policy.set_at": "Fixée le",
    "policy.current": "en vigueur",
    "policy.default_by": "les valeurs par défaut du service",
    "policy.default_reason": "les règles avec lesquelles le service a commencé",
    "policy.cli": (
        "Une nouvelle version est fixée par un gestionnaire de la DERCI auprès des opérateurs "
        "du service, avec son jour et son motif ; cette page ne fait que les montrer."
    ),
    # --- connexion par le fournisseur d'identité de l'établissement (OpenID Connect) ---
    "sign_on.with_institution": "Se connecter avec son établissement",
    "sign_on.or_token": "Ou avec son jeton personnel",
    "sign_on.refused_title": "Connexion refusée",
    "sign_on.start_again": "Recommencer",
    "sign_on.no_flow": (
        "Cette connexion n'a pas été commencée dans ce navigateur, ou a pris plus de dix "
        "minutes\u00a0: personne n'a été connecté. Recommencez."
    ),
    "sign_on.bad_state": (
        "La réponse du fournisseur d'identité ne correspond pas à la connexion commencée dans "
        "ce navigateur\u00a0: personne n'a été connecté. Recommencez."
    ),
    "sign_on.provider_said": (
        "Le fournisseur d'identité de votre établissement ne vous a pas connecté·e ({error})."
    ),
    "sign_on.bad_answer": (
        "La réponse du fournisseur d'identité n'a pas pu être vérifiée\u00a0: personne n'a été "
        "connecté."
    ),
    "sign_on.code_refused": (
        "Le fournisseur d'identité a refusé le code de cette connexion (déjà utilisé, ou "
        "expiré)\u00a0: personne n'a été connecté. Recommencez."
    ),
    "sign_on.no_email": (
        "Le fournisseur d'identité de votre établissement n'a donné aucune adresse "
        "électronique vérifiée\u00a0: c'est par elle que le service trouve chacun dans son "
        "annuaire."
    ),
    "sign_on.unknown_person": (
        "Votre établissement vous connaît comme {who}, mais personne dans l'annuaire de ce "
        "service ne vous correspond\u00a0: vous ne pouvez pas vous connecter. Un opérateur du "
        "service enregistre chaque personne\u00a0: demandez au service d'assistance de la DERCI."
    ),
    "sign_on.unreachable": (
        "Le fournisseur d'identité de votre établissement ne répond pas pour l'instant. "
        "Réessayez dans un moment."
    ),
    "sign_on.signed_out": "Vous êtes déconnecté·e de ce service",
    "sign_on.signing_out_there": (
        "Vous allez maintenant être déconnecté·e de votre établissement aussi."
    ),
    "sign_on.continue": "Continuer",
}

MESSAGES = {"en": _EN, "fr": _FR}


def pick_language(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    """An explicit choice, then the remembered one, then the browser's preference."""
    for choice in (asked, cookie):
        if choice in LANGUAGES:
            return choice
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.split("-")[0].lower()))
    for _, lang in sorted(ranked, key=lambda r: -r[0]):
        if lang in LANGUAGES:
            return lang
    return "en"


# a key no catalogue has: logged (once per language and key) and shown as the key itself,
# or wrapped in MISSING_MARK where MARK_MISSING is set (the page tests set it, and fail on
# any page that shows one)
MARK_MISSING = False
MISSING_MARK = "⟦{key}⟧"
_log = logging.getLogger(__name__)
_warned: set[tuple[str, str]] = set()


def translator(lang: str) -> Callable[..., str]:
    """`t(key)`: the page's words for `key` in `lang`. `t(key, default)`: `default` when no
    catalogue has the key (a label that may be missing on purpose: said nothing of)."""
    table = MESSAGES[lang]

    def t(key: str, default: str | None = None) -> str:
        found = table.get(key)
        if found is not None:
            return found
        if default is not None:
            return default
        if (lang, key) not in _warned:
            _warned.add((lang, key))
            _log.warning("no %s label for %r", lang, key)
        return MISSING_MARK.format(key=key) if MARK_MISSING else key

    return t
