"""The README's JSON API section is true: each example request is sent to the served seed
database and answers with the status and the fields the example shows."""

import json
import re
import shlex
from urllib.parse import quote
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def examples() -> list[tuple[str, str, dict | None, object]]:
    """(method, path, JSON body, the example answer) of each ``$ curl`` line of the API section."""
    text = README.read_text("utf-8")
    section = text[text.index("## JSON API"):]
    section = section[:section.index("\n## ", 1)]
    lines = section.split("\n")
    out = []
    for k, line in enumerate(lines):
        if not line.startswith("$ curl "):
            continue
        words = shlex.split(line[2:])
        url = next(w for w in words if w.startswith("http://"))
        method = "POST" if "-X" in words and words[words.index("-X") + 1] == "POST" else "GET"
        data = [words[i + 1] for i, w in enumerate(words) if w in ("-d", "--data-urlencode")]
        body = None
        if "-G" in words:  # curl -G sends the data as the query string, --data-urlencode percent-encoded
            query = [quote(d.partition("=")[0], safe="") + "=" + quote(d.partition("=")[2], safe="")
                     if words[words.index(d) - 1] == "--data-urlencode" else d for d in data]
            url += "?" + "&".join(query)
        elif data:
            body = json.loads(data[0])
        answer = json.loads(lines[k + 1])
        out.append((method, re.sub(r"^http://[^/]+", "", url), body, answer))
    return out


def test_the_api_section_has_examples_of_each_kind():
    found = examples()
    paths = " ".join(p for _m, p, _b, _a in found)
    for _m, path, _b, _a in found:  # what curl sends must be a valid request line: no raw Chinese
        assert path.isascii(), path
    assert len(found) >= 8 and "POST" in {m for m, *_ in found}
    for endpoint in ("/kb/search.json", "/kb/-/search.json", "/kb/-/draft.json", "/-/kb-status.json", "/kb.json"):
        assert endpoint in paths, endpoint


@pytest.mark.asyncio
@pytest.mark.parametrize("method,path,body,answer", examples(), ids=lambda x: x if isinstance(x, str) else "")
async def test_each_example_answers_as_the_readme_shows(ds, method, path, body, answer):
    if method == "POST":
        r = await ds.client.post(path, json=body)
    else:
        r = await ds.client.get(path)
    got = r.json()
    expected_status = answer.get("status", 400) if isinstance(answer, dict) and answer.get("ok") is False else 200
    assert r.status_code == expected_status, (path, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    if isinstance(answer, list):
        assert isinstance(got, list) and got, (path, got)
        assert set(answer[0]) <= set(got[0]), (path, set(answer[0]) - set(got[0]))
        for key, value in answer[0].items():  # arrays come as arrays
            assert isinstance(got[0][key], list) == isinstance(value, list), (path, key)
    else:
        assert set(answer) <= set(got), (path, set(answer) - set(got))
        for key in ("error", "allowed", "similar", "draft", "workers"):
            if key in answer:
                assert type(got[key]) is type(answer[key]), (path, key)
        if "error" in answer:
            assert got["error"] == answer["error"], (path, got["error"])
