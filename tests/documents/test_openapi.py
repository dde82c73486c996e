"""The document operations in the OpenAPI document: a multipart upload and a file download, as they really answer."""

import io

from tests.conftest import csrf_token
from tests.documents.conftest import make_pdf

UPLOAD = "/api/v1/cases/{case_id}/documents"
DOWNLOAD = "/api/v1/cases/{case_id}/documents/{item_id}/download"


def _spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _schema(spec, ref_holder):
    return spec["components"]["schemas"][ref_holder["$ref"].rsplit("/", 1)[1]]


def test_the_upload_is_documented_as_a_multipart_body_with_a_binary_file(client):
    """Does the document name the upload's body as multipart/form-data with a binary ``file`` and a ``category``
    required, ``person_ids`` as integers, and its Dutch refusals (413, 422, 503) in the error shape?"""
    spec = _spec(client)
    operation = spec["paths"][UPLOAD]["post"]
    body = _schema(spec, operation["requestBody"]["content"]["multipart/form-data"]["schema"])
    assert set(body["required"]) == {"file", "category"}
    assert (body["properties"]["file"]["type"], body["properties"]["file"]["format"]) == ("string", "binary")
    assert body["properties"]["person_ids"]["items"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    for code in ("201", "413", "422", "503"):
        assert "application/json" in operation["responses"][code]["content"], code
    assert _schema(spec, operation["responses"]["413"]["content"]["application/json"]["schema"])["title"] == "Error"


def test_the_download_is_documented_as_a_file_with_its_headers_and_answers_so(app, client, auth, scenario):
    """Does the document name the download's 200 as one of the five accepted file types with Content-Disposition
    and nosniff, and does a real download answer with a documented type and those headers?"""
    spec = _spec(client)
    ok = spec["paths"][DOWNLOAD]["get"]["responses"]["200"]
    assert set(ok["content"]) == {"application/pdf", "image/jpeg", "image/png",
                                  "application/vnd.oasis.opendocument.text",
                                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    assert {"Content-Disposition", "X-Content-Type-Options"} <= set(ok["headers"])
    assert "403" in spec["paths"][DOWNLOAD]["get"]["responses"]
    auth.login(scenario.users["pol"])
    resp = client.post(UPLOAD.format(case_id=scenario.case.id), headers={"X-CSRFToken": csrf_token(app, client)},
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(make_pdf()), "pv.pdf"), "category": "justitie",
                             "person_ids": str(scenario.persons["suspect"].id)})
    assert resp.status_code == 201, resp.text
    got = client.get(DOWNLOAD.format(case_id=scenario.case.id, item_id=resp.get_json()["item_id"]))
    assert got.mimetype in ok["content"] and got.headers["Content-Disposition"].startswith('attachment; filename="')
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_an_upload_without_a_category_gets_the_documented_dutch_422(app, client, auth, scenario):
    """Is a multipart body without the required category refused with the documented error shape, naming the
    field, before anything is scanned or stored?"""
    auth.login(scenario.users["pol"])
    resp = client.post(UPLOAD.format(case_id=scenario.case.id), headers={"X-CSRFToken": csrf_token(app, client)},
                       content_type="multipart/form-data", data={"file": (io.BytesIO(make_pdf()), "pv.pdf")})
    assert resp.status_code == 422
    assert resp.get_json()["details"]["fields"] == ["category"]
