"""Evaluation is confidential towards the people it judges: the coordinator reads the
reviews but not who wrote them; officers and auditors read the record as it stands."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import PEOPLE
from tests.api.test_api import REVIEWER, submitted


async def test_the_coordinator_reads_the_reviews_but_not_who_wrote_them(api, ts_env):
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    await ts_env.sleep(timedelta(days=50))  # late: a reminder goes to the reviewer
    await api.get("auditor", "/projects")  # the read models catch up
    due = await api.every("institute_officer", "/deadlines", "deadlines", within_days=90)
    [officers] = [d for d in due if d["project_id"] == pid and d["kind"] == "evaluation"]
    assert officers["label"] == "evaluation closes; awaiting Anna Keller"  # who is late, by name
    due = await api.every("coordinator", "/deadlines", "deadlines", within_days=90)
    [theirs] = [d for d in due if d["project_id"] == pid and d["kind"] == "evaluation"]
    assert theirs["label"] == "evaluation closes"
    review = {"scores": {"science": 4}, "recommendation": "fund"}
    r = await api.post("reviewer", f"/projects/{pid}/reviews", review)
    assert r.status_code == 200, r.text

    reviewer = PEOPLE["reviewer"]
    full = (await api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    seen = (await api.get("coordinator", f"/projects/{pid}/history")).json()["events"]
    assert [e["type"] for e in seen] == [e["type"] for e in full]  # no fact hidden
    assert {"ReviewerAssigned", "ReviewSubmitted", "ReminderSent"} <= {e["type"] for e in full}
    # the record names the reviewer; the coordinator's copy nowhere does
    assert reviewer.person_id in str(full) and reviewer.name in str(full)
    for secret in (reviewer.person_id, reviewer.name, reviewer.lab):
        assert secret not in str(seen), secret
    assigned = next(e for e in seen if e["type"] == "ReviewerAssigned")
    assert assigned["data"]["reviewer"] == {
        "id": "reviewer 1",
        "name": "reviewer 1",
        "lab": None,
        "country": None,
    }
    reviewed = next(e for e in seen if e["type"] == "ReviewSubmitted")
    assert reviewed["actor"] == {"id": "reviewer 1", "role": "reviewer"}
    assert reviewed["data"]["scores"] == {"science": 4}  # what the review says stays
    assert reviewed["data"]["recommendation"] == "fund"

    # the reviewer knows who they are
    own = (await api.get("reviewer", f"/projects/{pid}/history")).json()["events"]
    assert next(e for e in own if e["type"] == "ReviewSubmitted")["actor"]["id"] == (
        reviewer.person_id
    )
