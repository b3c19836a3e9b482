"""Every write, one use case each: the doors (HTTP, CLI, console) call these.

Each is a service that flushes, run as one unit of work (`unit_of_work.use_case`):
it commits everything it did, or rolls all of it back, and tries again only on
the races named beside it. The sync push is the one write that composes
services inside its own transaction (sync.push), through the same services and
the same schemas.
"""

from server import demo
from server.services import (
    accounts,
    areas,
    departments,
    hazards,
    inspections,
    invites,
    photos,
    routing,
    steps,
)
from server.services.unit_of_work import Claimed, use_case, version_moved

# Reports and the lifecycle (闭环)
file_report = use_case(hazards.report_hazard, Claimed("hazards"))
# A merge moves photo citations onto the original without moving its version, so two
# merges into one hazard at once meet on hazard_photos, not on the version.
take_step = use_case(
    steps.apply_step, version_moved, Claimed("hazard_events"), Claimed("hazard_photos")
)
accept_photo = photos.accept_photo  # its own unit of work: files on disk go with the row
reprocess_photo = use_case(photos.reprocess)
assess_photos = use_case(photos.assess_citations)

# Accounts and devices
sign_in = use_case(accounts.issue_token)
sign_out = use_case(accounts.revoke_token)
create_account = use_case(accounts.create_user, Claimed("users"))
change_account = use_case(accounts.update_user, version_moved)  # two saving one's grids
sign_out_device = use_case(accounts.revoke_device)
note_device_use = use_case(accounts.note_device_use)

# Invite codes (邀请码): the office hands them out, volunteers join with them. Two joins
# with one phone number at once meet on users' unique username: the second answers as
# a phone already registered; a new code drawn twice is drawn again.
create_invite = use_case(invites.create_invite, Claimed("invites"))
change_invite = use_case(invites.change_invite)
join_with_invite = use_case(invites.join, Claimed("users"))

# Reference data the office edits: departments, categories, routing rules, areas
add_department = use_case(departments.add_department, Claimed("departments"))
change_department = use_case(departments.change_department)
add_category = use_case(routing.add_category, Claimed("categories"))
change_category = use_case(routing.change_category)
add_rule = use_case(routing.add_rule)
change_rule = use_case(routing.change_rule)
remove_rule = use_case(routing.remove_rule)
import_areas = use_case(areas.import_areas, Claimed("areas"))

# Field inspections (检查)
add_place = use_case(inspections.add_place, Claimed("places"))
import_places = use_case(inspections.import_places, Claimed("places"))
confirm_place = use_case(inspections.confirm_place)
create_checklist = use_case(inspections.create_template, Claimed("checklist_templates"))
new_checklist_version = use_case(inspections.new_version, Claimed("checklist_versions"))
edit_checklist_draft = use_case(inspections.edit_draft)
publish_checklist = use_case(inspections.publish)
submit_inspection = use_case(
    inspections.submit_inspection,
    Claimed("inspections"),
    Claimed("inspection_answers"),
    Claimed("hazards"),
)
create_task = use_case(inspections.create_task)

# The demo district, all or nothing
load_demo = use_case(demo.load_demo)
