"""Documents as items of the minimal data set: upload (checked, scanned, stored encrypted), download
(decided by the sharing engine, audited, watermarked) and destruction with the data they belong to.

Only this module changes documents. The engine (:mod:`mda.core.sharing`) decides who sees a document
exactly as it decides for a typed item, because a document *is* an item: its category, source
organisation and persons are the item's, its title is the item's content.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from mda.cases import services as case_services
from mda.cases.models import Item
from mda.core import audit, sharing, signals
from mda.core.audit_subjects import Subject
from mda.core.errors import ServiceError
from mda.core.timeutil import LOCAL_TZ, format_local, utcnow
from mda.documents import filetypes, scanner, storage
from mda.documents.models import Document

log = logging.getLogger(__name__)
WATERMARK_FAILED = ("Er kon geen watermerk op dit document worden gezet. Uit veiligheid is het niet verstuurd. "
                    "Neem contact op met de beheerder.")
DAMAGED_STORED = ("Er kon geen watermerk op dit document worden gezet: het opgeslagen bestand is beschadigd en kan "
                  "niet worden geopend. Uit veiligheid is het niet verstuurd. Vraag de organisatie die het toevoegde "
                  "het opnieuw op te slaan en nog eens toe te voegen.")


def _watermark_refusal(data: bytes, content_type: str) -> str:
    """Why a stored document could not be stamped, in Dutch: the file itself does not open (stored before uploads
    were opened completely), or the stamp failed on a file that does (the administrator has to look)."""
    return WATERMARK_FAILED if filetypes.opens(data, content_type) else DAMAGED_STORED


def too_large_message(limit: int) -> str:
    """The Dutch refusal of a file over *limit* bytes."""
    return (f"Het bestand is te groot: een document mag hoogstens {limit // (1024 * 1024)} MB zijn. "
            "Verklein het (bijvoorbeeld als PDF opslaan) en probeer het opnieuw.")


def _refused(db: Session, user, ctx: sharing.CaseContext, exc: ServiceError) -> ServiceError:
    """Audit a refused upload (the row survives the rollback); never the file name or content."""
    what = getattr(exc, "signature", None)
    reason = f"virus gevonden ({what})" if what else exc.message.split(".")[0][:150]
    audit.record(db, "denied", user=user, object_type="document", object_id="", case_id=ctx.case.id,
                 summary=f"upload van een document bij {ctx.case.reference} geweigerd: {reason}")
    return exc


def update_item(db: Session, user, ctx: sharing.CaseContext, agenda_item_id: int | None):
    """The agenda item whose pre-meeting update a document is brought with (None: the case only): a case item of
    this case, in a meeting that is not cancelled, whose update the user's organisation wrote and may still change
    (the same rule as writing the update, :mod:`mda.meetings.updates`); a Dutch refusal otherwise."""
    if agenda_item_id is None:
        return None
    from mda.meetings import updates
    from mda.meetings.models import AgendaItem, Meeting, MeetingUpdate

    item = db.get(AgendaItem, agenda_item_id) if 0 < agenda_item_id < 2**31 else None
    meeting = db.get(Meeting, item.meeting_id) if item is not None else None
    if item is None or item.case_id != ctx.case.id or item.kind != "casus" or meeting is None:
        raise ServiceError("Dit agendapunt hoort niet bij deze casus.", field="file")
    if meeting.cancelled:
        raise ServiceError("Dit overleg is geannuleerd.", field="file")
    if not updates.may_write(db, user, meeting, item):
        raise ServiceError("U neemt niet deel aan de bespreking van deze casus.", field="file")
    if utcnow() >= updates.deadline_of(meeting):
        raise ServiceError(f"De termijn voor updates is verstreken ({format_local(updates.deadline_of(meeting))}). "
                           "Voeg het document aan de casus toe of breng het in tijdens het overleg.", field="file")
    written = select(MeetingUpdate.item_id).where(MeetingUpdate.agenda_item_id == item.id,
                                                  MeetingUpdate.organisation_id == user.organisation_id)
    if db.exec(written).first() is None:
        raise ServiceError("Schrijf eerst de update van uw organisatie; daarna kunt u er een document bij voegen.",
                           field="file")
    return item


def upload(db: Session, user, ctx: sharing.CaseContext, *, data: bytes, filename: str | None, title: str,
           category: str, person_ids: list[int], agenda_item_id: int | None = None, config=None) -> Item:
    """Check, scan and store a document as a new item of the case (brought with the organisation's pre-meeting
    update of *agenda_item_id* when given); refusals are audited and store nothing."""
    config = config or current_app.config
    try:
        meeting_item = update_item(db, user, ctx, agenda_item_id)
        limit = config["DOCUMENT_MAX_BYTES"]
        if len(data) > limit:
            raise ServiceError(too_large_message(limit), field="file", status=413)
        name = filetypes.clean_title(filename)
        kind = filetypes.detect(data)
        scanned_with = scanner.from_config(config, demo_account=bool(getattr(user, "is_demo", False))).scan(data)
        item = case_services.add_item(db, user, ctx, category=category, content=(title or "").strip() or name,
                                      recorded_on=utcnow().astimezone(LOCAL_TZ).date(), person_ids=person_ids)
    except ServiceError as exc:
        raise _refused(db, user, ctx, exc) from None
    key = storage.from_config(config).put(db, data)
    number = (db.exec(select(func.max(Document.number)).where(Document.case_id == ctx.case.id)).one() or 0) + 1
    doc = Document(item_id=item.id, case_id=ctx.case.id, agenda_item_id=agenda_item_id, number=number, storage_key=key,
                   content_type=kind.content_type, extension=kind.extension, size=len(data),
                   sha256=hashlib.sha256(data).hexdigest(), scanned_with=scanned_with, uploaded_at=utcnow())
    db.add(doc)
    db.flush()
    persons = sorted(set(person_ids))
    audit.record(db, "create", user=user, object_type="document", object_id=item.id, case_id=ctx.case.id,
                 person_ids=persons, subjects=[Subject(p, item.id, "", "document") for p in persons],
                 summary=f"document nr. {number} ({kind.name}, {len(data)} bytes, {category}) toegevoegd aan "
                         f"{ctx.case.reference}" + (f" bij de update voor overleg {meeting_item.meeting_id}"
                                                    if meeting_item is not None else "") + f"; gescand: {scanned_with}")
    if meeting_item is not None:  # e.g. the live session: its clients on this case item fetch their own view again
        signals.meeting_item_changed.send(meeting_item, db=db)
    return item


def document_numbers(db: Session, case_id: int) -> dict[int, Document]:
    """The documents of a case by item id (no personal data: numbers, types, sizes), in one statement (built once
    per process: every case page asks)."""
    return {d.item_id: d for d in db.exec(_case_documents(), params={"case_id": case_id})}


@functools.cache
def _case_documents():
    return select(Document).where(Document.case_id == bindparam("case_id"), Document.destroyed_at.is_(None))


class Withheld(ServiceError):
    """The engine withholds the document from this viewer (403, with the reason)."""

    def __init__(self, reason: str):
        super().__init__(f"Niet gedeeld: {reason}. Het document wordt niet naar u verstuurd.", status=403)


@dataclass(frozen=True)
class Download:
    """What leaves the server for one permitted download."""

    data: bytes
    filename: str  # neutral: case reference and document number, never the title
    content_type: str


def download(db: Session, user, ctx: sharing.CaseContext, item_id: int, config=None) -> Download:
    """The document's bytes for *user* when the engine shows its item (audited as a view via ``download``),
    a PDF watermarked with who downloaded it; :class:`Withheld` (audited as refused) otherwise; 404 when it
    is not a document of this case."""
    config = config or current_app.config
    doc = db.get(Document, item_id)
    if doc is None or doc.case_id != ctx.case.id or doc.storage_key is None:
        sharing.refuse_foreign(db, user, "document", item_id, ctx)
    view = sharing.item_view(db, user, ctx, item_id, channel="download")  # 404 outside the circle; audited
    if not view.decision.visible:
        reason = view.decision.withheld_reason
        audit.record(db, "denied", user=user, object_type="document", object_id=item_id, case_id=ctx.case.id,
                     person_ids=view.person_ids, basis=f"niet gedeeld: {reason}",
                     subjects=[Subject(p, item_id, f"niet gedeeld: {reason}", "document")
                               for p in view.person_ids] or [Subject(None, item_id, "niet gedeeld", "document")],
                     summary=f"download van document nr. {doc.number} van {ctx.case.reference} geweigerd: "
                             f"niet gedeeld ({reason})")
        raise Withheld(reason)
    data = storage.from_config(config).get(db, doc.storage_key, doc.sha256)  # checked once, by tag or digest
    from mda.documents import watermark

    org = ctx.org_names.get(user.organisation_id) or ""
    stamp = (f"Vertrouwelijk \u2014 gedownload door {user.name} ({org}) op "
             f"{format_local(utcnow(), '%d-%m-%Y %H:%M')} \u2014 {ctx.case.reference} document {doc.number}")
    try:
        if doc.content_type == filetypes.PDF.content_type:
            data = watermark.watermark_pdf(data, stamp)
        elif doc.content_type in (filetypes.JPEG.content_type, filetypes.PNG.content_type):
            data = watermark.watermark_image(data, stamp, "JPEG" if doc.content_type == filetypes.JPEG.content_type
                                             else "PNG")
        elif doc.content_type == filetypes.DOCX.content_type:
            data = watermark.watermark_docx(data, stamp)
        elif doc.content_type == filetypes.ODT.content_type:
            data = watermark.watermark_odt(data, stamp)
    except Exception as exc:  # never send an unmarked copy: refuse instead (the type of error only, no content)
        log.warning("watermark failed for document %s: %s", doc.item_id, type(exc).__name__)
        raise ServiceError(_watermark_refusal(data, doc.content_type), status=409) from None
    return Download(data, f"{ctx.case.reference}-document-{doc.number}.{doc.extension}", doc.content_type)


def forget_documents(db: Session, case_id: int, object_type: str | None, object_ids: list[int] | None) -> int:
    """Destroy the stored files with the data they belong to: every document of the case (end of retention),
    or those of the destroyed items (destruction on request). The row keeps number, type and size; the bytes go
    in the destruction's own transaction (database storage) or once it is committed (disk). Connected to
    :data:`mda.core.signals.forget_providers`."""
    if object_type not in (None, "item"):
        return 0
    query = select(Document).where(Document.case_id == case_id, Document.storage_key.is_not(None))
    if object_type == "item":
        if not object_ids:
            return 0
        query = query.where(Document.item_id.in_(object_ids))
    docs = list(db.exec(query))
    if not docs:
        return 0
    store = storage.from_config(current_app.config)
    now = utcnow()
    for doc in docs:
        store.delete(db, doc.storage_key)
        doc.storage_key, doc.sha256, doc.destroyed_at = None, "", now
        db.add(doc)
    db.flush()
    return len(docs)
