"""The HTML report is safe to open when records come from strangers (issue 8).

Records carry script, markup, ``javascript:`` links, template syntax and comment openers in
every field, in record file names, in unknown keys, in enum fields (so they reach finding
messages and evidence) and in the gate's reasons. The page must show all of it as text: the
static checks read the HTML, the browser test opens every view in real Chromium and proves
that nothing from the data runs, loads or becomes a link other than http(s).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import valid_record, write_records

from audit.cli import main
from audit.record import arm, intervention, outcome, person, site

AS_OF = "2026-11-22"
PAYLOADS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=1;alert(2)">',
    "</script><script>window.__pwned=1</script><!--",
    '<svg onload="window.__pwned=1"><a href="javascript:alert(3)">x</a></svg>',
    '"><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe><x y="',
    "{{ 7*7 }} {% for x in range(3) %}X{% endfor %} {{ self.__init__.__globals__ }}",
    '<!-- <a href="javascript:window.__pwned=1">comment</a> -->',
    "javascript:window.__pwned=1",
    " JaVaScRiPt:alert(4)",
    "data:text/html,<script>alert(5)</script>",
    "&lt;b&gt; &#60;script&#62; \u2028\u2029 ${window.__pwned=1} `x`",
]
LINK = "https://example.org/registry?id=1&x=2"
NOT_A_LINK = 'https://example.org/"><b>bold</b>'  # http(s), but with markup: stays text
UNREADABLE_NAME = "<svg onload=window.__pwned=1>.json"
PAYLOAD_NAME = '<img src=x onerror="window.__pwned=1">.json'
PAYLOAD_TRIAL = "<img src=x onerror=window.__pwned=1>"


def hostile_record(trial_id: str, text: str, **fields: object) -> dict:
    """A record with ``text`` in every free-text field, name, label, date and list."""
    record = valid_record(
        trial_id,
        title=text,
        official_title=text,
        status_text=text,
        status_verified=text,
        first_posted=text,
        sponsor=text,
        collaborators=[text],
        conditions=[text],
        secondary_ids=[text],
        source_file=text,
        captured=text,
        interventions=[intervention("DRUG", text, text)],
        arms=[arm(text, "EXPERIMENTAL", text, [text], 10)],
        people=[person(f"Ann {text}", "OVERALL_OFFICIAL", [text], text, text, text)],
        sites=[site(text, text, text, text, text, "RECRUITING")],
        outcomes=[outcome("primary", text, text)],
        start_date={"date": text, "type": "ACTUAL"},
        eligibility={
            "sex": "ALL",
            "min_age_years": 18,
            "max_age_years": None,
            "healthy_volunteers": None,
            "inclusion": [text],
            "exclusion": [text],
        },
        descriptions={"brief_summary": text, "detailed_description": text},
    )
    record.update(fields)
    return record


def hostile_records() -> dict[str, dict]:
    records = {
        f"payload_{i}.json": hostile_record(f"NCT096000{i:02d}", text)
        for i, text in enumerate(PAYLOADS)
    }
    # The same trial from a second source, so the trial view shows values side by side.
    records["payload_0.veeva.json"] = hostile_record("NCT09600000", PAYLOADS[1], source="veeva")
    records["enum_payloads.json"] = hostile_record(
        "NCT09600090", PAYLOADS[0], overall_status=PAYLOADS[1], study_type=PAYLOADS[6]
    )
    records["source_payload.json"] = hostile_record("NCT09600091", PAYLOADS[3], source=PAYLOADS[4])
    key_payload = hostile_record("NCT09600092", PAYLOADS[2])
    key_payload[PAYLOADS[0]] = PAYLOADS[3]  # an unknown key: a record-structure finding
    records["key_payload.json"] = key_payload
    records[PAYLOAD_NAME] = hostile_record(PAYLOAD_TRIAL, PAYLOADS[5])
    records["link.json"] = valid_record(
        "NCT09600093", source_file=LINK, sponsor=NOT_A_LINK, title=PAYLOADS[7]
    )
    return records


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gate's report (with its verdict) over the hostile records."""
    root = tmp_path_factory.mktemp("xss")
    folder = write_records(root / "records", hostile_records())
    (folder / UNREADABLE_NAME).write_text('{"title": "<script>window.__pwned=1</script>"', "utf-8")
    baseline = root / "baseline.json"
    baseline.write_text('{"complete": true, "findings": []}', encoding="utf-8")
    out = root / "reports"
    args = ["gate", "--baseline", str(baseline), "--records", str(folder), "--out", str(out)]
    assert main([*args, "--as-of", AS_OF]) == 2  # the unreadable file: fails closed
    return out / "index.html"


# ---- the HTML as written ---------------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_html_carries_data_only_as_text(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    parser = Tags()
    parser.feed(html)
    names = [tag for tag, _ in parser.tags]
    assert names.count("script") == 2  # the data block and the page's own script
    assert not {"img", "iframe", "object", "embed", "base", "form"} - {"form"} & set(names)
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    hrefs = [attrs["href"] for tag, attrs in parser.tags if tag == "a" and "href" in attrs]
    assert all(href and href.startswith("#") for href in hrefs)
    data = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', html, re.S)
    assert data and "<" not in data.group(1) and ">" not in data.group(1)
    assert "\u2028" not in data.group(1)
    for text in PAYLOADS:
        if "<" in text:
            assert text not in html, "a payload reached the page unescaped"
    assert "&lt;svg onload=window.__pwned=1&gt;.json" in html  # the gate's reason, escaped


def test_the_csp_forbids_every_external_load(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", directives["script-src"])
    assert directives["img-src"] == "data:" and directives["base-uri"] == "'none'"
    assert not re.search(r"https?:|\*|'unsafe-eval'", policy.group(1))


# ---- in the browser --------------------------------------------------------------------------

TRAPS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
DOM_CHECK = """() => {
  const bad = [];
  for (const node of document.querySelectorAll('*')) {
    for (const attr of node.attributes) {
      if (attr.name.startsWith('on')) bad.push(node.tagName + ' ' + attr.name);
    }
  }
  for (const node of document.querySelectorAll('img, iframe, object, embed, base')) {
    bad.push(node.tagName);
  }
  const links = [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'));
  return {
    pwned: typeof window.__pwned,
    scripts: document.scripts.length,
    bad: bad,
    violations: window.__violations,
    links: links,
    unsafeLinks: links.filter((h) => !/^(#|\\.\\.\\/records\\/|https?:\\/\\/)/i.test(h)),
    text: document.body.innerText,
  };
}"""


@pytest.mark.browser
def test_no_script_from_the_data_runs_in_any_view(page, report: Path) -> None:
    dialogs: list[str] = []
    requests: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(TRAPS)
    seen_text: list[str] = []
    all_links: list[str] = []

    def check(view: str) -> None:
        page.wait_for_timeout(50)  # let any onerror/onload handler have its chance
        state = page.evaluate(DOM_CHECK)
        assert state["pwned"] == "undefined", view
        assert state["scripts"] == 2, view
        assert state["bad"] == [], view
        assert state["violations"] == [], view
        assert state["unsafeLinks"] == [], view
        assert dialogs == [], view
        seen_text.append(state["text"])
        all_links.extend(state["links"])

    page.goto(report.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    check("overview")
    assert UNREADABLE_NAME in page.inner_text("#view-overview")

    page.evaluate("location.hash = 'findings'")
    pages = 0
    while True:
        page.evaluate(
            """() => { const n = document.querySelectorAll('tr.finding').length;
              for (let i = 0; i < n; i++) document.querySelectorAll('tr.finding')[i].click(); }"""
        )
        assert page.locator("tr.expanded").count() == page.locator("tr.finding").count()
        check(f"findings page {pages}")
        pages += 1
        if page.is_disabled("#next"):
            break
        page.click("#next")
    page.fill("#f-text", PAYLOADS[0])
    page.wait_for_timeout(200)
    check("findings search")

    page.evaluate("location.hash = 'trials'")
    check("trial list")
    trials = [f"NCT096000{i:02d}" for i in range(len(PAYLOADS))]
    for trial in [*trials, "NCT09600090", "NCT09600091", "NCT09600092", PAYLOAD_TRIAL]:
        page.evaluate("(id) => { location.hash = 'trial/' + encodeURIComponent(id); }", trial)
        page.wait_for_selector("#side-by-side")
        check(f"trial {trial}")
    page.evaluate("location.hash = 'trial/NCT09600093'")
    page.wait_for_selector("#side-by-side")
    check("trial with a link")
    assert page.locator("#side-by-side td a").evaluate_all("(l) => l.map((a) => a.href)") == [LINK]
    assert NOT_A_LINK in page.inner_text("#side-by-side")

    page.evaluate("location.hash = 'people'")
    check("people")

    text = "\n".join(seen_text)
    for payload in PAYLOADS:
        assert payload.strip() in text, f"not shown as text: {payload!r}"
    assert PAYLOAD_NAME in text and PAYLOAD_TRIAL in text
    assert not any(h.lower().lstrip().startswith(("javascript:", "data:")) for h in all_links)
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests
