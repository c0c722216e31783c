"""The forms derived from the steps' inputs, as a person meets them: the right widget for
each field, the input's default shown, and what they type handed over as typed fields."""

from __future__ import annotations

from datetime import date

import pytest
from jinja2 import Environment, FileSystemLoader

from domain.open_steps import OpenStep
from web.forms import FORMS, FormErrors, typed_fields
from web.pages import HERE

TODAY = date(2027, 3, 1)


def test_a_term_start_is_a_date_and_today_means_from_now_on():
    form = FORMS["DecideApplication"]
    kinds = {f.name: f.kind for f in form.fields}
    assert kinds == {
        "approve": "yesno",
        "awarded_eur": "number",
        "term_starts_at": "date",
        "reason": "textarea",
    }
    posted = {"approve": "yes", "awarded_eur": "60000", "reason": "strong"}
    today = typed_fields(form, {**posted, "term_starts_at": "2027-03-01"}, TODAY)
    assert "term_starts_at" not in today  # now, not this morning's midnight (already past)
    later = typed_fields(form, {**posted, "term_starts_at": "2027-04-01"}, TODAY)
    assert later["term_starts_at"] == "2027-04-01" and later["approve"] is True


def test_a_yes_or_no_is_never_read_from_a_missing_answer():
    with pytest.raises(FormErrors) as refused:
        typed_fields(FORMS["ReviewReport"], {"reason": "fine"}, TODAY)
    assert refused.value.errors == {"accept": "accept: answer yes or no"}


def test_the_successor_form_offers_the_inputs_default_instrument():
    form = FORMS["LinkSuccessor"]
    instrument = next(f for f in form.fields if f.name == "successor_instrument")
    assert (instrument.kind, instrument.default) == ("select", "IRP")
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    html = env.get_template("_actions.html").render(
        t=lambda key, default=None: key,
        steps=[OpenStep(command="LinkSuccessor")],
        forms=FORMS,
        failed=None,
        errors={},
        project={"project_id": "IEA-1"},
        csrf="x",
        reviewers=[],
    )
    assert '<option value="IRP" selected>' in html
    assert '<option value="IEA" selected>' not in html


def test_scores_are_asked_per_criterion_and_sent_as_one_mapping():
    form = FORMS["SubmitReview"]
    posted = {"score_science": "5", "score_partnership": "4", "recommendation": "fund"}
    typed = typed_fields(form, posted, TODAY)
    assert typed == {"scores": {"science": "5", "partnership": "4"}, "recommendation": "fund"}


AMENDMENTS = {
    "AmendBudget": {"awarded_eur": "number", "reason": "textarea"},
    "AddPartnerLab": {
        "lab_name": "text",
        "lab_country": "text",
        "lab_cnrs": "yesno",
        "reason": "textarea",
    },
    "RemovePartnerLab": {"lab_name": "text", "reason": "textarea"},
    "ReplaceCoordinator": {
        "coordinator_id": "text",
        "coordinator_name": "text",
        "coordinator_email": "text",
        "coordinator_lab": "text",
        "reason": "textarea",
    },
    "ChangeLocation": {"location": "text", "reason": "textarea"},
    "ExtendTerm": {"months": "number", "reason": "textarea"},
    "SuspendProject": {"reason": "textarea"},
    "ResumeProject": {"reason": "textarea"},
    "RequestAmendment": {"amendment": "select", "details": "textarea", "reason": "textarea"},
}


def test_amendments_are_forms_and_render():
    for command, kinds in AMENDMENTS.items():
        assert {f.name: f.kind for f in FORMS[command].fields} == kinds, command
    kind = next(f for f in FORMS["RequestAmendment"].fields if f.name == "amendment")
    assert kind.choices == (
        "budget",
        "add-lab",
        "remove-lab",
        "coordinator",
        "location",
        "extend",
        "suspend",
        "resume",
    )
    posted = {"lab_name": "LAAS", "lab_country": "FR", "lab_cnrs": "yes", "reason": "joins"}
    typed = typed_fields(FORMS["AddPartnerLab"], posted, TODAY)
    assert typed == {"lab_name": "LAAS", "lab_country": "FR", "lab_cnrs": True, "reason": "joins"}
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    html = env.get_template("_actions.html").render(
        t=lambda key, default=None: key,
        steps=[OpenStep(command=c) for c in AMENDMENTS],
        forms=FORMS,
        failed=None,
        errors={},
        project={"project_id": "IRP-1"},
        csrf="x",
        reviewers=[],
    )
    for command, kinds in AMENDMENTS.items():
        assert f'action="/ui/projects/IRP-1/steps/{command}#error"' in html
        for name in kinds:
            assert f'name="{name}"' in html, (command, name)
    assert '<option value="add-lab" >add-lab</option>' in html
