"""The state machine alone: every step from every state, for every role."""

import pytest

from server.services.errors import InvalidInput, PermissionDenied
from server.services.lifecycle import (
    OPEN,
    RULES,
    TERMINAL,
    ActorFacts,
    HazardFacts,
    IllegalTransition,
    Step,
    decide,
)

FIRE, GAS = 1, 2
OFFICE = ActorFacts(id=1, role="office")
FIRE_STAFF = ActorFacts(id=2, role="dept_staff", department_id=FIRE)
GAS_STAFF = ActorFacts(id=3, role="dept_staff", department_id=GAS)
GRID_WORKER = ActorFacts(id=4, role="grid_worker", grid_ids=frozenset({10}))
OTHER_GRID_WORKER = ActorFacts(id=5, role="grid_worker", grid_ids=frozenset({11}))
VOLUNTEER = ActorFacts(id=6, role="volunteer")

COMPLETE = {
    "return": Step("return", note="不属于本部门"),
    "rectify": Step("rectify", photos=("a" * 64,)),
    "request_extension": Step("request_extension", until="2026-07-01", note="需要采购设备"),
    "verify": Step("verify", result="pass"),
    "assign": Step("assign", department="fire-rescue"),
    "reassign": Step("reassign", department="urban-mgmt"),
    "merge": Step("merge", into="x"),
    "unlink": Step("unlink", other="y"),
    "invalidate": Step("invalidate", note="重复举报"),
    "refuse_extension": Step("refuse_extension", note="不予延期"),
    "reopen": Step("reopen", note="隐患反弹"),
    "comment": Step("comment", note="已电话联系物业"),
}

# (step, actor, from-state) → resulting state; every other state is refused.
PATHS = {
    ("assign", OFFICE): {"reported": "assigned"},
    ("reassign", OFFICE): {s: "assigned" for s in ("assigned", "accepted", "rectifying")},
    ("accept", FIRE_STAFF): {"assigned": "accepted"},
    ("return", FIRE_STAFF): {"assigned": "reported", "accepted": "reported"},
    ("start", FIRE_STAFF): {"accepted": "rectifying"},
    ("rectify", FIRE_STAFF): {"rectifying": "rectified"},
    ("verify", GRID_WORKER): {"rectified": "verified"},
    ("verify", OFFICE): {"rectified": "verified"},
    ("close", OFFICE): {"verified": "closed"},
    ("reopen", OFFICE): {"closed": "assigned"},
    ("invalidate", OFFICE): {s: "invalid" for s in OPEN},
    ("merge", OFFICE): {s: "duplicate" for s in OPEN},
}
ALL_STATES = sorted(OPEN | TERMINAL)


def hazard(status, **facts):
    """Return facts of a fire hazard in grid 10."""
    return HazardFacts(status=status, lead_department_id=FIRE, grid_id=10, **facts)


@pytest.mark.parametrize(("step_type", "actor"), list(PATHS), ids=lambda x: getattr(x, "role", x))
@pytest.mark.parametrize("state", ALL_STATES)
def test_each_step_is_allowed_exactly_from_its_states(step_type, actor, state):
    step = COMPLETE.get(step_type, Step(step_type))
    allowed = PATHS[(step_type, actor)]
    if state in allowed:
        assert decide(hazard(state), actor, step) == allowed[state]
    else:
        with pytest.raises(IllegalTransition):
            decide(hazard(state), actor, step)


@pytest.mark.parametrize("state", ALL_STATES)
def test_nothing_but_comment_and_reopen_acts_on_a_closed_hazard(state):
    if state != "closed":
        return
    for step_type in RULES:
        if step_type in ("comment", "reopen"):
            continue
        for actor in (OFFICE, FIRE_STAFF, GRID_WORKER):
            with pytest.raises((IllegalTransition, PermissionDenied)):
                decide(hazard("closed"), actor, COMPLETE.get(step_type, Step(step_type)))


def test_failed_verification_sends_it_back_to_rectification():
    fail = Step("verify", result="fail", note="通道仍有杂物")
    assert decide(hazard("rectified"), GRID_WORKER, fail) == "rectifying"


def test_reopen_without_a_lead_department_goes_to_triage():
    facts = HazardFacts(status="closed", lead_department_id=None, grid_id=10)
    assert decide(facts, OFFICE, COMPLETE["reopen"]) == "reported"


@pytest.mark.parametrize(
    ("actor", "step_type"),
    [
        (VOLUNTEER, "accept"),
        (GRID_WORKER, "accept"),
        (OFFICE, "accept"),
        (GAS_STAFF, "accept"),  # not the lead department
        (GAS_STAFF, "rectify"),
        (FIRE_STAFF, "verify"),
        (OTHER_GRID_WORKER, "verify"),  # another grid
        (FIRE_STAFF, "close"),
        (GRID_WORKER, "close"),
        (FIRE_STAFF, "assign"),
        (VOLUNTEER, "invalidate"),
        (FIRE_STAFF, "grant_extension"),
    ],
)
def test_roles_that_may_not_take_a_step_are_refused(actor, step_type):
    state = {
        "verify": "rectified",
        "close": "verified",
        "rectify": "rectifying",
        "assign": "reported",
    }.get(step_type, "assigned")
    with pytest.raises(PermissionDenied):
        decide(hazard(state), actor, COMPLETE.get(step_type, Step(step_type)))


@pytest.mark.parametrize(
    ("state", "step", "field"),
    [
        ("rectifying", Step("rectify"), "photos"),
        ("assigned", Step("return"), "note"),
        ("rectified", Step("verify"), "result"),
        ("rectified", Step("verify", result="fail"), "note"),
        ("assigned", Step("request_extension", note="x"), "until"),
        ("reported", Step("assign"), "department"),
        ("assigned", Step("merge"), "into"),
        ("assigned", Step("invalidate"), "note"),
        ("assigned", Step("comment"), "note"),
    ],
)
def test_a_step_missing_what_it_needs_is_refused_by_field(state, step, field):
    actor = {
        "rectify": FIRE_STAFF,
        "return": FIRE_STAFF,
        "request_extension": FIRE_STAFF,
        "verify": GRID_WORKER,
    }.get(step.type, OFFICE)
    with pytest.raises(InvalidInput) as caught:
        decide(hazard(state), actor, step)
    assert field in caught.value.errors


def test_an_extension_can_only_be_decided_when_one_was_asked_for():
    with pytest.raises(IllegalTransition):
        decide(hazard("accepted"), OFFICE, Step("grant_extension"))
    assert (
        decide(hazard("accepted", extension_pending=True), OFFICE, Step("grant_extension"))
        == "accepted"
    )


def test_anyone_may_comment_in_any_state():
    for state in ALL_STATES:
        for actor in (VOLUNTEER, GRID_WORKER, FIRE_STAFF, OFFICE):
            assert decide(hazard(state), actor, COMPLETE["comment"]) == state


def test_unknown_step_is_refused():
    with pytest.raises(InvalidInput):
        decide(hazard("assigned"), OFFICE, Step("teleport"))
