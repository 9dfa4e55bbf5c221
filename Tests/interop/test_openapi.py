"""The served OpenAPI document is valid OpenAPI 3.1, and what it promises matches what the server does."""
import requests
from openapi_spec_validator import validate

from conftest import PASSWORD, login


def test_openapi_document_validates(server):
    response = requests.get(server.url + "/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/me" in document["paths"]


def test_documented_api_errors_are_problem_documents(server):
    session = requests.Session()
    assert "Welcome" in login(session, server.url, "root").text
    page = session.get(server.url + "/account")
    import re

    token_form = re.search(r'action="/account/tokens".*?name="_csrf" value="([^"]+)"', page.text, re.S)
    made = session.post(server.url + "/account/tokens", data={"_csrf": token_form.group(1), "name": "interop"})
    secret = re.search(r'id="new-token-value">([^<]+)<', made.text).group(1)
    headers = {"Authorization": f"Bearer {secret}"}

    me = requests.get(server.url + "/api/v1/me", headers=headers, timeout=10)
    assert me.json()["username"] == "root"

    bad = requests.post(server.url + "/api/v1/users", headers=headers, json={"username": 7, "role": "viewer"}, timeout=10)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    problem = bad.json()
    assert problem["status"] == 400 and problem["errors"][0]["field"] == "username"

    anonymous = requests.get(server.url + "/api/v1/users", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert PASSWORD not in anonymous.text
