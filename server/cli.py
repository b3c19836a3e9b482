"""Operator commands: init-db, demo, create-user, import-areas, import-places, and more."""

import json

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from server.config import photo_rules
from server.extensions import db
from server.models import Photo, User, utcnow
from server.services import (
    exports,
    inspection_stats,
    inspections,
    routing,
    stats,
    use_cases,
)
from server.services.errors import DomainError
from server.vocabulary import ROLES
from uploads.errors import IntakeError


def _fail(error):
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in error.errors.items())
    raise click.ClickException(f"{error.message}" + (f" ({details})" if details else ""))


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema by running the migrations."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is at the latest schema")


@click.command("demo")
@with_appcontext
def load_demo():
    """Load the demo district, departments, categories, users and reports."""
    try:
        users = use_cases.load_demo(
            db.session, password_method=current_app.config["PASSWORD_HASH_METHOD"]
        )
    except DomainError as error:
        _fail(error)
    click.echo("demo district loaded: 4 streets, 12 communities, 30 grids")
    click.echo("demo users (username / password / role):")
    for user in users:
        extra = user.department or ", ".join(user.grids)
        click.echo(f"  {user.username:<12} {user.password:<16} {user.role:<12} {extra}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", required=True)
@click.option("--department", "department_code", help="department code (dept_staff)")
@click.option("--grid", "grid_codes", multiple=True, help="grid area code (grid_worker)")
@click.option("--name", "display_name", default="", help="display name")
@click.option("--phone", default=None)
def create_user(username, role, password, department_code, grid_codes, display_name, phone):
    """Create a user with a role, and a department or grids where the role needs them."""
    try:
        use_cases.create_account(
            db.session,
            username,
            role=role,
            password=password,
            department_code=department_code,
            grid_codes=grid_codes,
            display_name=display_name,
            phone=phone,
            password_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
    except DomainError as error:
        _fail(error)
    click.echo(f"created {role} {username}")


@click.command("import-places")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_places(path):
    """Import places (检查对象) from CSV (code,name,type,address,lat,lon) or GeoJSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        payload = text if path.lower().endswith(".csv") else json.loads(text)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from error
    if not isinstance(payload, str | dict):
        raise click.ClickException(f"{path}: expected a GeoJSON FeatureCollection or CSV")
    office = db.session.scalar(sa.select(User).where(User.role == "office").limit(1))
    if office is None:
        raise click.ClickException("create an office account first (create-user)")
    try:
        created, updated = use_cases.import_places(
            db.session, inspections.parse_places(payload), office
        )
    except DomainError as error:
        _fail(error)
    click.echo(f"places: {created} created, {updated} updated")


@click.command("import-areas")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_areas(path):
    """Import areas from a GeoJSON FeatureCollection (all or nothing)."""
    try:
        with open(path, encoding="utf-8") as handle:
            collection = json.load(handle)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read {path} as JSON: {error}") from error
    try:
        created, updated = use_cases.import_areas(db.session, collection)
    except DomainError as error:
        _fail(error)
    click.echo(f"areas imported: {created} new, {updated} updated")


@click.group("routing-rules")
def routing_rules():
    """List, add or remove routing rules (category × area → department)."""


@routing_rules.command("list")
@with_appcontext
def rules_list():
    """Print every routing rule."""
    for rule in routing.list_rules(db.session):
        area = rule.area.code if rule.area else "(district-wide)"
        click.echo(
            f"{rule.id:>4}  {rule.category.code:<26} {area:<18} → {rule.department.code}"
            f"  priority {rule.priority}"
        )


@routing_rules.command("add")
@click.option("--category", required=True, help="category code")
@click.option("--department", required=True, help="department code")
@click.option("--area", default=None, help="area code; omit for district-wide")
@click.option("--priority", default=0, type=int)
@with_appcontext
def rules_add(category, department, area, priority):
    """Add a routing rule."""
    try:
        rule = use_cases.add_rule(
            db.session, category=category, department=department, area=area, priority=priority
        )
    except DomainError as error:
        _fail(error)
    click.echo(f"added rule {rule.id}")


@routing_rules.command("remove")
@click.argument("rule_id", type=int)
@with_appcontext
def rules_remove(rule_id):
    """Remove a routing rule by its id."""
    try:
        use_cases.remove_rule(db.session, rule_id)
    except DomainError as error:
        _fail(error)
    click.echo(f"removed rule {rule_id}")


@click.command("export-weekly")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W23")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_weekly(week, out):
    """Write the weekly progress table (活动进展情况统计表) as XLSX (or CSV by the name)."""
    try:
        the_period = stats.iso_week(week)
    except DomainError as error:
        _fail(error)
    title, rows, total, departments = stats.weekly_report(
        db.session, the_period, now=utcnow(), district_name=stats.district_name(db.session)
    )
    if out.lower().endswith(".csv"):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            handle.write(exports.to_csv(title, rows, total))
    else:
        with open(out, "wb") as handle:
            inspected = inspection_stats.summary(db.session, the_period, "street")
            sheets = exports.weekly_sheets(title, rows, total, departments, inspected)
            handle.write(exports.to_xlsx(sheets))
    click.echo(f"wrote {out}: {len(rows)} streets, {len(departments)} department sheets")


@click.command("photos-reprocess")
@with_appcontext
def photos_reprocess():
    """Rebuild every photo's derivatives, EXIF facts and authenticity flags."""
    storage = current_app.extensions["photo_storage"]
    done = failed = 0
    for sha256 in db.session.scalars(sa.select(Photo.sha256).order_by(Photo.sha256)).all():
        try:
            use_cases.reprocess_photo(
                db.session, sha256, storage, current_app.config["PHOTO_MAX_PIXELS"]
            )
            done += 1
        except (OSError, IntakeError) as error:
            failed += 1
            click.echo(f"{sha256}: {error}", err=True)
    use_cases.assess_photos(
        db.session,
        db.session.scalars(sa.select(Photo.sha256)).all(),
        photo_rules(current_app.config),
    )
    click.echo(f"photos reprocessed: {done}, failed: {failed}")
    if failed:
        raise click.exceptions.Exit(1)


def init_app(app):
    """Register the commands on the app."""
    for command in (
        init_db,
        load_demo,
        create_user,
        import_areas,
        import_places,
        photos_reprocess,
        routing_rules,
        export_weekly,
    ):
        app.cli.add_command(command)
