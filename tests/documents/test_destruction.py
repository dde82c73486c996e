"""Destruction takes the files along: on request for a person, at the end of retention for the case, and only
once the destruction is committed."""

import pytest
from sqlmodel import select

from mda.documents.models import Document
from tests.conftest import form_post
from tests.documents.conftest import make_pdf, stored
from tests.documents.test_upload import upload


def _two_documents(app, client, auth, scenario):
    """A police report about the suspect and one about the victim; both files in the storage folder."""
    auth.login(scenario.users["pol"])
    for person, name in (("suspect", "over-pleger.pdf"), ("victim", "over-slachtoffer.pdf")):
        assert upload(app, client, scenario.case.id, make_pdf(name), filename=name,
                      persons=[scenario.persons[person].id]).status_code == 302
    auth.logout()
    assert len(stored(app)) == 2


def test_destroying_a_person_removes_the_files_of_their_documents_only(app, client, db, auth, scenario, backend):
    """When the privacy officer destroys the suspect's data, are the bytes of the document about them gone from the
    storage (blob table or folder; its download 404), while the victim's document stays?"""
    _two_documents(app, client, auth, scenario)
    docs = {d.number: d for d in db.exec(select(Document))}
    keep = docs[2].storage_key
    auth.login(scenario.users["privacy"])
    resp = form_post(app, client, f"/privacy/personen/{scenario.persons['suspect'].id}/vernietigen", {
        "requested_by": "Betrokkene zelf", "requested_on": "2026-12-01", "refuted": "y",
        "reason": "Vermoeden weerlegd na onderzoek Veilig Thuis"})
    assert resp.status_code == 302, resp.text[:300]
    assert list(stored(app)) == [keep]
    db.expire_all()
    gone = db.get(Document, docs[1].item_id)
    assert gone.storage_key is None and gone.destroyed_at is not None and gone.sha256 == ""
    auth.logout()
    auth.login(scenario.users["pol"])
    assert client.get(f"/casussen/{scenario.case.id}/documenten/{gone.item_id}/download").status_code == 404
    assert client.get(f"/casussen/{scenario.case.id}/documenten/{docs[2].item_id}/download").status_code == 200


def test_the_end_of_retention_removes_every_file_of_the_case(app, client, db, auth, scenario, backend):
    """Does purging a case after its retention period leave no bytes of it in the storage?"""
    from mda import db as mda_db
    from mda.cases.models import Case
    from mda.privacy.retention import purge_case

    _two_documents(app, client, auth, scenario)
    with app.app_context(), mda_db.unit_of_work() as session:
        purge_case(session, session.get(Case, scenario.case.id))
    assert stored(app) == {}
    db.expire_all()
    assert all(d.storage_key is None for d in db.exec(select(Document)))


def test_a_destruction_that_rolls_back_keeps_the_files(app, client, db, auth, scenario, backend):
    """When the unit of work of a destruction fails, are the files still there (deleted only after the commit)?"""
    from mda import db as mda_db
    from mda.cases.models import Case
    from mda.privacy.retention import purge_case

    _two_documents(app, client, auth, scenario)
    with pytest.raises(RuntimeError), app.app_context(), mda_db.unit_of_work() as session:
        purge_case(session, session.get(Case, scenario.case.id))
        raise RuntimeError("de database viel weg")
    assert len(stored(app)) == 2
    db.expire_all()
    assert all(d.storage_key is not None for d in db.exec(select(Document)))


def test_an_upload_whose_unit_of_work_rolls_back_leaves_no_file(app, db, scenario, backend):
    """When the request that stored a document fails after the file was written, is the file removed again?"""
    from mda import db as mda_db
    from mda.auth.models import User
    from mda.core import sharing
    from mda.documents import services

    with pytest.raises(RuntimeError), app.test_request_context(), mda_db.unit_of_work() as session:
        user = session.get(User, scenario.users["pol"].id)
        ctx = sharing.load_context(session, session.get(type(scenario.case), scenario.case.id))
        services.upload(session, user, ctx, data=make_pdf(), filename="a.pdf", title="", category="justitie",
                        person_ids=[scenario.persons["suspect"].id])
        assert session.exec(select(Document)).one().storage_key
        raise RuntimeError("de commit mislukte")
    assert stored(app) == {}


def test_rotating_the_document_key_keeps_every_document_readable_with_the_new_key_alone(app, client, db, auth,
                                                                                     scenario, runner, backend):
    """After a new key is put first and rotate-document-key ran, can the documents be read with only the new key?"""
    from cryptography.fernet import Fernet

    from mda.documents import storage

    _two_documents(app, client, auth, scenario)
    old = app.config["DOCUMENT_KEYS"]
    new = Fernet.generate_key().decode()
    app.config["DOCUMENT_KEYS"] = [new, *old]
    result = runner.invoke(args=["rotate-document-key"])
    assert "2 document(en) opnieuw versleuteld" in result.output
    only_new = storage.from_config({**app.config, "DOCUMENT_KEYS": [new]})
    only_old = storage.from_config({**app.config, "DOCUMENT_KEYS": old})
    db.expire_all()
    for doc in db.exec(select(Document)):
        assert only_new.get(db, doc.storage_key).startswith(b"%PDF")
        with pytest.raises(storage.StorageError):
            only_old.get(db, doc.storage_key)


def test_the_subject_access_export_lists_documents_like_items(app, client, db, auth, scenario):
    """Does the person's export list the document about them among their items, naming it as a document?"""
    _two_documents(app, client, auth, scenario)
    auth.login(scenario.users["privacy"])
    export = client.get(f"/privacy/personen/{scenario.persons['suspect'].id}/export.json").get_json()
    documents = [g for g in export["gegevens"] if g["document"]]
    size = db.exec(select(Document).where(Document.number == 1)).one().size
    assert [(g["inhoud"], g["document"]) for g in documents] == [
        ("over-pleger.pdf", f"document nr. 1 (application/pdf, {size} bytes; bestand)")]


def _files_of_the_database(app) -> list:
    """The SQLite database file and whatever sits beside it (WAL, shared memory)."""
    from pathlib import Path

    main = Path(app.extensions["mda_engine"].url.database)
    return [p for p in main.parent.glob(main.name + "*") if p.is_file()]


def test_destroyed_bytes_leave_no_trace_in_the_database_file_nor_its_wal(app, client, db, auth, scenario):
    """After the suspect's data is destroyed, can a stretch of the stored ciphertext of their document still be found
    in the SQLite database file or its write-ahead log (on PostgreSQL: is the blob row gone from the table)?"""
    from sqlalchemy import text

    _two_documents(app, client, auth, scenario)
    docs = {d.number: d for d in db.exec(select(Document))}
    token = stored(app)[docs[1].storage_key]
    marker = token[len(token) // 2:len(token) // 2 + 48]  # a stretch of the ciphertext, unique to this document
    sqlite = app.extensions["mda_engine"].dialect.name == "sqlite"
    if sqlite:
        assert any(marker in p.read_bytes() for p in _files_of_the_database(app))  # the search can find it
    auth.login(scenario.users["privacy"])
    resp = form_post(app, client, f"/privacy/personen/{scenario.persons['suspect'].id}/vernietigen", {
        "requested_by": "Betrokkene zelf", "requested_on": "2026-12-01", "refuted": "y",
        "reason": "Vermoeden weerlegd na onderzoek Veilig Thuis"})
    assert resp.status_code == 302
    with app.extensions["mda_engine"].connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM document_blob WHERE key = :k"),
                            {"k": docs[1].storage_key}).scalar()
    assert left == 0 and list(stored(app)) == [docs[2].storage_key]
    if sqlite:
        assert [p.name for p in _files_of_the_database(app) if marker in p.read_bytes()] == []
