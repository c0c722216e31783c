"""In which phases each command is accepted: one table, read by the decider (to refuse) and
by `open_steps` (to offer only what a person could do now)."""

from __future__ import annotations

from domain.commands import (
    AssignReviewer,
    CheckEligibility,
    CloseProject,
    CommandBase,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    ReleaseTranche,
    RequestRenewal,
    ReviewReport,
    StartTerm,
    SubmitReport,
    SubmitReview,
    TerminateProject,
    WithholdTranche,
)
from domain.state import Phase

# tuples, not sets: refusals list the phases in this order
ACCEPTING: dict[type[CommandBase], tuple[Phase, ...]] = {
    CheckEligibility: (Phase.SUBMITTED,),
    AssignReviewer: (Phase.UNDER_EVALUATION,),
    SubmitReview: (Phase.UNDER_EVALUATION,),
    DecideApplication: (Phase.UNDER_EVALUATION,),
    StartTerm: (Phase.APPROVED, Phase.ACTIVE),
    ReleaseTranche: (Phase.ACTIVE,),
    WithholdTranche: (Phase.ACTIVE,),
    SubmitReport: (Phase.ACTIVE, Phase.CLOSED),
    ReviewReport: (Phase.ACTIVE, Phase.CLOSED),
    RequestRenewal: (Phase.ACTIVE,),
    DecideRenewal: (Phase.ACTIVE,),
    CloseProject: (Phase.ACTIVE,),
    TerminateProject: (Phase.SUBMITTED, Phase.UNDER_EVALUATION, Phase.APPROVED, Phase.ACTIVE),
    LinkSuccessor: (Phase.ACTIVE, Phase.CLOSED),
}
