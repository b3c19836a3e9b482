"""Photos in the records: who may see them, and their authenticity flags on hazards."""

import uuid
from collections.abc import Collection
from datetime import UTC, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Hazard,
    HazardPhoto,
    Inspection,
    InspectionPhoto,
    Photo,
    PhotoUpload,
    User,
)
from server.services import unit_of_work
from server.services.errors import NotFound
from server.services.unit_of_work import Claimed
from server.services.visibility import inspections_visible_to, visible_to
from uploads import intake
from uploads.authenticity import DEFAULT_RULES, Rules, assess
from uploads.derivatives import decode
from uploads.exif import ExifFacts, read_exif
from uploads.intake import Processed, Received
from uploads.storage import Storage, photo_key


def _facts(photo: Photo) -> ExifFacts:
    """Return the ExifFacts stored on a Photo row."""
    return ExifFacts(
        status=photo.exif_status,
        taken_at=photo.taken_at,
        gps_lat=photo.gps_lat,
        gps_lon=photo.gps_lon,
        camera=photo.exif_camera,
    )


def apply_facts(photo: Photo, processed: Processed) -> None:
    """Copy what intake learned about a photo onto its row."""
    exif = processed.exif
    photo.media_type = processed.media_type
    photo.size = processed.size
    photo.width, photo.height = processed.width, processed.height
    photo.exif_status = exif.status
    photo.exif_camera = exif.camera
    photo.taken_at = exif.taken_at.astimezone(UTC) if exif.taken_at else None
    offset = exif.taken_at.utcoffset() if exif.taken_at and not exif.offset_assumed else None
    photo.taken_offset_min = int(offset / timedelta(minutes=1)) if offset is not None else None
    photo.gps_lat, photo.gps_lon, photo.gps_alt = exif.gps_lat, exif.gps_lon, exif.gps_alt
    photo.make, photo.model, photo.orientation = exif.make, exif.model, exif.orientation


def record_photo(
    session: Session, processed: Processed, uploader: User, rules: Rules = DEFAULT_RULES
) -> Photo:
    """Save a newly stored photo and flag every hazard that already cites it."""
    photo = Photo(sha256=processed.sha256, uploader_id=uploader.id)
    apply_facts(photo, processed)
    session.add(photo)
    session.add(PhotoUpload(sha256=photo.sha256, user_id=uploader.id))
    session.flush()
    assess_citations(session, [photo.sha256], rules)
    return photo


def accept_photo(
    session: Session,
    uploader: User,
    received: Received,
    content_type: str | None,
    store: Storage,
    *,
    max_pixels: int,
    rules: Rules = DEFAULT_RULES,
) -> tuple[Photo, bool]:
    """Keep an uploaded photo; return (photo, created).

    New bytes are checked, stored and recorded; bytes already kept are claimed by
    this uploader too. One unit of work: a refusal or a failure leaves no row and
    no file. Two uploads of the same bytes at once both succeed, one as new.
    """

    def work() -> tuple[Photo, bool]:
        existing = session.get(Photo, received.sha256)
        if existing is not None:
            claim_upload(session, received.sha256, uploader)
            return existing, False
        processed = intake.process(received, content_type, max_pixels=max_pixels)
        intake.store(received, processed, store)
        return record_photo(session, processed, uploader, rules), True

    try:
        return unit_of_work.run(session, work, (Claimed("photos"), Claimed("photo_uploads")))
    except BaseException:
        if session.get(Photo, received.sha256) is None:
            intake.remove(received.sha256, store)  # the same bytes from a winner stay
        raise


def claim_upload(session: Session, sha256: str, user: User) -> None:
    """Remember that `user` also uploaded these bytes (a resend, or the same photo)."""
    if session.get(PhotoUpload, (sha256, user.id)) is None:
        session.add(PhotoUpload(sha256=sha256, user_id=user.id))
        session.flush()


def assess_citations(
    session: Session, sha256s: Collection[str], rules: Rules = DEFAULT_RULES
) -> None:
    """Recompute the flags of every citation of these photos whose photo has arrived."""
    if not sha256s:
        return
    links = session.scalars(sa.select(HazardPhoto).where(HazardPhoto.sha256.in_(sha256s))).all()
    photos = {
        p.sha256: p for p in session.scalars(sa.select(Photo).where(Photo.sha256.in_(sha256s)))
    }
    citations: dict[str, set[tuple[uuid.UUID, str]]] = {}
    for link in links:
        citations.setdefault(link.sha256, set()).add((link.hazard_id, link.phase))
    assessed: set[Hazard] = set()
    for link in links:
        photo = photos.get(link.sha256)
        if photo is None:
            continue  # still on its way; assessed when it arrives
        hazard = link.hazard
        assessed.add(hazard)
        # Compared with when the step was claimed to happen: the report for report
        # photos, the lifecycle event (e.g. rectification) for the others.
        when = link.event.at if link.event is not None and link.phase != "report" else None
        result = assess(
            _facts(photo),
            lat=hazard.lat,
            lon=hazard.lon,
            observed_at=when or hazard.observed_at,
            reused=len(citations[link.sha256]) > 1,
            rules=rules,
        )
        link.flags = list(result.flags)
        link.distance_m = result.distance_m
    for hazard in assessed:
        hazard.photos_flagged = sum(1 for link in hazard.photo_links if link.flags)
    session.flush()


def reprocess(session: Session, sha256: str, storage: Storage, max_pixels: int) -> None:
    """Rebuild one photo's derivatives and EXIF facts from its stored original."""
    photo = session.get_one(Photo, sha256)
    with storage.open(photo_key("original", sha256)) as original:
        decoded = decode(original, photo.media_type, max_pixels=max_pixels)
    storage.put(photo_key("display", sha256), decoded.display)
    storage.put(photo_key("thumb", sha256), decoded.thumb)
    apply_facts(
        photo,
        Processed(
            sha256=sha256,
            size=photo.size,
            media_type=photo.media_type,
            width=decoded.width,
            height=decoded.height,
            exif=read_exif(decoded.exif),
            display=decoded.display,
            thumb=decoded.thumb,
        ),
    )
    session.flush()


def may_see(session: Session, viewer: User, sha256: str, kind: str) -> bool:
    """Say whether `viewer` may fetch this kind of file of a photo (SPEC §5, §9)."""
    if kind == "original":
        return viewer.role == "office"
    if session.get(PhotoUpload, (sha256, viewer.id)) is not None:
        return True
    by_hazard = (
        sa.select(HazardPhoto.hazard_id)
        .join(Hazard)
        .where(HazardPhoto.sha256 == sha256, visible_to(viewer))
    )
    by_inspection = (
        sa.select(InspectionPhoto.answer_id)
        .join(Inspection, Inspection.id == InspectionPhoto.inspection_id)
        .where(InspectionPhoto.sha256 == sha256, inspections_visible_to(viewer))
    )
    cited_visibly = sa.or_(by_hazard.exists(), by_inspection.exists())
    return session.scalar(sa.select(cited_visibly)) is True


def photo_for(session: Session, viewer: User, sha256: str, kind: str) -> Photo:
    """Return the Photo if the viewer may fetch `kind` of it; otherwise NotFound."""
    photo = session.get(Photo, sha256)
    if photo is None or not may_see(session, viewer, sha256, kind):
        raise NotFound("no such photo")
    return photo
