"""The hazard lifecycle (闭环管理) as a pure state machine: which step, from which
state, by whom, with what (SPEC §2). No database here: the caller passes facts in."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from server.services.errors import DomainError, InvalidInput, PermissionDenied
from server.vocabulary import OPEN, ROLES, SEVERITIES, TERMINAL

OFFICE = frozenset({"office"})
DEPARTMENT = frozenset({"dept_staff"})
__all__ = ["OPEN", "SEVERITIES", "TERMINAL"]  # re-exported: the lifecycle's words


class IllegalTransition(DomainError):
    """The step is not allowed from the hazard's current state."""

    code = "illegal_transition"


class AlreadyClaimed(IllegalTransition):
    """Another clerk holds the hazard (处理中); taking it from them must be said openly."""

    code = "claimed"


@dataclass(frozen=True)
class HazardFacts:
    """What the rules need to know about a hazard."""

    status: str
    lead_department_id: int | None = None
    grid_id: int | None = None
    extension_pending: bool = False
    severity: str = "general"
    claimed_by: int | None = None  # the user id of the clerk holding it


@dataclass(frozen=True)
class ActorFacts:
    """What the rules need to know about who is acting."""

    id: int
    role: str
    department_id: int | None = None
    grid_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Step:
    """One step a user asks for, with its type-specific fields."""

    type: str
    note: str | None = None
    photos: tuple[str, ...] = ()
    result: str | None = None  # verify: 'pass' or 'fail'
    department: str | None = None  # assign, reassign
    into: uuid.UUID | None = None  # merge: the hazard this one duplicates
    until: date | None = None  # request_extension: a date
    other: uuid.UUID | None = None  # unlink: the hazard wrongly linked as a duplicate
    severity: str | None = None  # classify: 'general' or 'major' (重大隐患)
    takeover: bool = False  # claim: take it from the clerk who holds it, openly


@dataclass(frozen=True)
class StepRule:
    """Who may take a step, from which states, and the state it leads to."""

    roles: frozenset[str]
    sources: frozenset[str] | None  # None: from any state
    target: str | None  # None: the state does not change (or depends on the step)
    owner: str | None = None  # 'lead' (lead department only) or 'grid' (the hazard's grid)
    needs: tuple[str, ...] = field(default=())
    label: str = ""


RULES = {
    "assign": StepRule(OFFICE, frozenset({"reported"}), "assigned", needs=("department",),
                       label="分派"),
    "reassign": StepRule(OFFICE, frozenset({"assigned", "accepted", "rectifying"}), "assigned",
                         needs=("department",), label="改派"),
    "reroute": StepRule(OFFICE, frozenset({"reported", "assigned", "accepted", "rectifying"}),
                        None, label="重新分派"),
    "accept": StepRule(DEPARTMENT, frozenset({"assigned"}), "accepted", "lead", label="签收"),
    "return": StepRule(DEPARTMENT, frozenset({"assigned", "accepted"}), "reported", "lead",
                       needs=("note",), label="退回"),
    "start": StepRule(DEPARTMENT, frozenset({"accepted"}), "rectifying", "lead", label="开始整改"),
    "rectify": StepRule(DEPARTMENT, frozenset({"rectifying"}), "rectified", "lead",
                        needs=("photos",), label="整改完成"),
    "request_extension": StepRule(DEPARTMENT, frozenset({"assigned", "accepted", "rectifying"}),
                                  None, "lead", needs=("until", "note"), label="申请延期"),
    "verify": StepRule(frozenset({"grid_worker", "office"}), frozenset({"rectified"}), None,
                       "grid", needs=("result",), label="复核"),
    "grant_extension": StepRule(OFFICE, OPEN, None, label="批准延期"),
    "refuse_extension": StepRule(OFFICE, OPEN, None, needs=("note",), label="不予延期"),
    "invalidate": StepRule(OFFICE, OPEN, "invalid", needs=("note",), label="无效"),
    "merge": StepRule(OFFICE, OPEN, "duplicate", needs=("into",), label="合并重复"),
    "unlink": StepRule(OFFICE, OPEN, None, needs=("other",), label="非重复"),
    "classify": StepRule(OFFICE, OPEN, None, needs=("severity", "note"), label="隐患定级"),
    "close": StepRule(OFFICE, frozenset({"verified"}), "closed", label="销号"),
    "reopen": StepRule(OFFICE, frozenset({"closed"}), None, needs=("note",), label="重新打开"),
    "comment": StepRule(frozenset(ROLES), None, None, needs=("note",), label="备注"),
    "claim": StepRule(DEPARTMENT, frozenset({"assigned", "accepted", "rectifying"}), None,
                      "lead", label="认领"),
    "release": StepRule(DEPARTMENT, None, None, "lead", label="放弃认领"),
}  # fmt: skip
STEP_TYPES = tuple(RULES)


def _check_fields(step: Step, rule: StepRule) -> None:
    errors: dict[str, list[str]] = {}
    for name in rule.needs:
        value = getattr(step, name)
        if value is None or value == "" or value == ():
            errors[name] = [f"required for {step.type}"]
    if step.type == "verify" and step.result not in (None, "pass", "fail"):
        errors["result"] = ["must be pass or fail"]
    if step.type == "verify" and step.result == "fail" and not step.note:
        errors["note"] = ["say what is still wrong when verification fails"]
    if step.type == "classify" and step.severity not in (None, *SEVERITIES):
        errors["severity"] = [f"one of {', '.join(SEVERITIES)}"]
    if step.type == "rectify" and not step.photos:
        errors["photos"] = ["rectification needs at least one after-photo (整改后照片)"]
    if errors:
        raise InvalidInput(f"{step.type} is missing what it needs", errors=errors)


def _check_claim(hazard: HazardFacts, actor: ActorFacts, step: Step) -> None:
    """Refuse a claim that would silently take a hazard from the clerk holding it, a
    claim of one's own hazard again, and releasing what one does not hold."""
    if step.type == "claim" and hazard.claimed_by == actor.id:
        raise IllegalTransition("you hold this hazard already")
    if step.type == "claim" and hazard.claimed_by is not None and not step.takeover:
        raise AlreadyClaimed("another clerk holds this hazard; take it over to claim it")
    if step.type == "release" and hazard.claimed_by != actor.id:
        raise IllegalTransition("you do not hold this hazard")


def decide(hazard: HazardFacts, actor: ActorFacts, step: Step) -> str:
    """Return the status a step leads to, or raise why it may not be taken."""
    rule = RULES.get(step.type)
    if rule is None:
        raise InvalidInput(
            f"unknown step {step.type!r}", errors={"type": [f"one of {', '.join(STEP_TYPES)}"]}
        )
    if actor.role not in rule.roles:
        raise PermissionDenied(f"a {actor.role} may not {step.type} ({rule.label}) a hazard")
    if rule.owner == "lead" and actor.department_id != hazard.lead_department_id:
        raise PermissionDenied(f"only staff of the lead department may {step.type} this hazard")
    outside_grids = hazard.grid_id not in actor.grid_ids
    if rule.owner == "grid" and actor.role == "grid_worker" and outside_grids:
        raise PermissionDenied("only a grid worker of the hazard's grid may verify it on site")
    if rule.sources is not None and hazard.status not in rule.sources:
        raise IllegalTransition(
            f"cannot {step.type} ({rule.label}) a hazard that is {hazard.status}"
        )
    _check_fields(step, rule)
    if step.type == "classify" and step.severity == hazard.severity:
        raise IllegalTransition(f"the hazard is already {step.severity}")
    if step.type in ("grant_extension", "refuse_extension") and not hazard.extension_pending:
        raise IllegalTransition("there is no extension request to decide")
    _check_claim(hazard, actor, step)
    if step.type == "verify":
        return "verified" if step.result == "pass" else "rectifying"
    if step.type == "reopen":
        return "assigned" if hazard.lead_department_id is not None else "reported"
    return rule.target or hazard.status
