"use strict";
// trial-audit report. Every value from the data is written with textContent (never as HTML);
// only http(s) URLs become links. The view lives in the URL: #findings?rule=…&severity=…&q=…
// &sort=…&page=…, #finding/<fingerprint>, #trial/<id>, #trials, #people.
(function () {
  const data = JSON.parse(document.getElementById("audit-data").textContent);
  const F = data.findings;
  const PAGE = 100, LIST = 500, LINKS = 20, SIDE_BY_SIDE = 3;
  // Row columns: 0 severity, 1 rule, 2 origin, 3 trials, 4 sources, 5 field, 6 message,
  // 7 record files, 8 evidence, 9 fingerprint, 10 status, 11 waiver, 12 lines (--link-base).
  const COLUMNS = { severity: 0, rule: 1, trials: 3, sources: 4, field: 5, message: 6 };
  const FILTERS = [["severity", "f-severity"], ["rule", "f-rule"], ["source", "f-source"],
    ["status", "f-status"], ["trial", "f-trial"], ["q", "f-text"]];
  const state = { page: 0, sort: null, desc: false, open: new Set(), rows: [], filterKey: null };
  const $ = (id) => document.getElementById(id);
  const plural = (n, word) => n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeLink(text) {
    const value = String(text);
    if (/^https?:\/\/[^\s"'<>]+$/i.test(value)) {
      return el("a", { href: value, rel: "noopener noreferrer nofollow", target: "_blank" }, value);
    }
    return document.createTextNode(value);
  }

  function joined(items, render, limit) {
    const box = document.createDocumentFragment();
    items.slice(0, limit || items.length).forEach((item, n) => { if (n) box.append(" "); box.append(render(item, n)); });
    if (limit && items.length > limit) box.append(" and " + (items.length - limit) + " more");
    return box;
  }

  function trialLink(id) {
    return el("a", { href: "#trial/" + encodeURIComponent(id), class: "trial" }, id);
  }

  function recordLink(file, line) {
    const href = data.records_base + String(file).split("/").map(encodeURIComponent).join("/");
    return el("a", { href: line ? href + "#L" + line : href, class: "file", rel: "noopener noreferrer" },
      line ? file + ":" + line : file);
  }

  // The registry templates of audit/registries.py, filled the way registry_url does.
  const registries = data.registries.map(([name, pattern, template]) =>
    [name, new RegExp("^(?:" + pattern + ")$"), template]);
  function registryLink(id) {
    const [name, , template] = registries.find(([, pattern]) => pattern.test(id));
    const href = template.replace("{id}", encodeURIComponent(id))
      .replace("{eudract}", encodeURIComponent(id.replace(/^EUCTR/, "").slice(0, 14)));
    return el("a", { href: href, class: "registry", rel: "noopener noreferrer nofollow", target: "_blank" },
      id + " at " + name);
  }

  function copyButton(label, text) {
    const button = el("button", { type: "button", class: "copy", "data-copy": text }, label);
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      const done = () => { button.textContent = "copied"; setTimeout(() => { button.textContent = label; }, 1500); };
      const fallback = () => {
        const area = el("textarea", { class: "copy-buffer", readonly: "" }, text);
        document.body.append(area);
        area.select();
        try { document.execCommand("copy"); done(); } finally { area.remove(); }
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
      else fallback();
    });
    return button;
  }

  // ---- findings -------------------------------------------------------------------------
  const searchText = new Map();
  function haystack(i) {
    let text = searchText.get(i);
    if (text === undefined) {
      const r = F.rows[i];
      text = [r[6], r[5], r[3].join(" "), r[7].join(" "), JSON.stringify(r[8]), r[9]]
        .join(" ").toLowerCase();
      searchText.set(i, text);
    }
    return text;
  }

  function fillSelect(select, values) {
    values.forEach((value) => select.append(el("option", { value: value }, value)));
  }
  fillSelect($("f-severity"), F.severities);
  fillSelect($("f-rule"), F.rules);
  fillSelect($("f-source"), F.sources);
  const hasWaived = F.rows.some((r) => r[10] === "waived");
  if (!data.gate) $("f-status").querySelector("option[value=new]").remove();
  if (!data.gate && !hasWaived) $("status-filter").hidden = true;

  function filterValues() {
    return Object.fromEntries(FILTERS.map(([key, id]) => [key, $(id).value.trim()]));
  }

  function applyFilters() {
    const v = filterValues();
    const key = JSON.stringify([v, state.sort, state.desc]);
    if (key === state.filterKey) return;
    state.filterKey = key;
    const severity = v.severity ? F.severities.indexOf(v.severity) : -1;
    const rule = v.rule ? F.rules.indexOf(v.rule) : -1;
    const source = v.source ? F.sources.indexOf(v.source) : -1;
    const trial = v.trial.toLowerCase();
    const words = v.q.toLowerCase().split(/\s+/).filter(Boolean);
    const rows = [];
    for (let i = 0; i < F.rows.length; i++) {
      const r = F.rows[i];
      if (severity >= 0 && r[0] !== severity) continue;
      if (rule >= 0 && r[1] !== rule) continue;
      if (source >= 0 && !r[4].includes(source)) continue;
      if (v.status && r[10] !== v.status) continue;
      if (trial && !r[3].some((t) => t.toLowerCase().includes(trial))) continue;
      if (words.length && !words.every((w) => haystack(i).includes(w))) continue;
      rows.push(i);
    }
    if (state.sort !== null) {
      const column = COLUMNS[state.sort], sign = state.desc ? -1 : 1;
      const key = (i) => {
        const value = F.rows[i][column];
        if (column === 1) return F.rules[value];
        if (column === 4) return value.map((s) => F.sources[s]).join(",");
        return Array.isArray(value) ? value.join(",") : value;
      };
      const keys = new Map(rows.map((i) => [i, key(i)]));
      rows.sort((a, b) => { const x = keys.get(a), y = keys.get(b); return (x < y ? -1 : x > y ? 1 : 0) * sign; });
    }
    state.rows = rows;
  }

  function paragraphs(text) {
    return String(text).split(/\n\s*\n/).map((p) => el("p", {}, p));
  }

  function flatten(value, prefix, out) {
    const leaf = value === null || typeof value !== "object" ||
      (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object"));
    if (out.length >= 200) return out;
    if (leaf) {
      out.push([prefix || "value", Array.isArray(value) ? value.map(String).join("; ") : String(value)]);
      return out;
    }
    const entries = Array.isArray(value)
      ? value.map((v, n) => [prefix + "[" + n + "]", v])
      : Object.entries(value).map(([k, v]) => [prefix ? prefix + "." + k : k, v]);
    if (!entries.length) out.push([prefix || "value", Array.isArray(value) ? "(none)" : "(empty)"]);
    for (const [k, v] of entries) flatten(v, k, out);
    return out;
  }

  function waiverYaml(r) {
    const lines = ["  - fingerprint: " + r[9], "    rule: " + JSON.stringify(F.rules[r[1]])];
    if (r[3].length) lines.push("    trial: " + JSON.stringify(r[3][0]));
    lines.push("    reason: \"<why this finding is acceptable>\"", "    approved_by: \"<who approved it>\"",
      "    expires: YYYY-MM-DD");
    return lines.join("\n") + "\n";
  }

  function findingUrl(fingerprint) {
    return location.href.split("#")[0] + "#finding/" + fingerprint;
  }

  function detailRow(i) {
    const r = F.rows[i];
    const rule = F.rules[r[1]];
    const doc = data.docs[rule] || { summary: rule };
    const evidence = el("tbody");
    for (const [key, value] of flatten(r[8], "", [])) evidence.append(el("tr", {}, el("th", {}, key), el("td", {}, safeLink(value))));
    const about = el("details", { class: "doc" }, el("summary", {}, "About " + rule));
    for (const [part, title] of [["what", "What it detects"], ["why", "Why it matters"], ["example", "Example"]]) {
      if (doc[part]) about.append(el("h5", {}, title), ...paragraphs(doc[part]));
    }
    const box = el("div", { class: "detail" },
      el("h4", {}, rule + " · " + F.severities[r[0]] + " · " + doc.summary),
      el("section", { class: "what" }, el("h5", {}, "What is wrong"), el("p", {}, r[6])),
      el("section", { class: "fix" }, el("h5", {}, "What to do"), ...paragraphs(doc.fix || doc.what || doc.summary)),
      el("section", { class: "evidence" }, el("h5", {}, "Evidence"),
        evidence.childElementCount ? el("table", { class: "kv" }, evidence) : el("p", { class: "muted" }, "(none)")),
      el("section", { class: "files" }, el("h5", {}, "Record files"),
        el("p", {}, joined(r[7], (file, n) => recordLink(file, r[12] && r[12][n]), LINKS))),
      r[3].length ? el("section", { class: "registry" }, el("h5", {}, "At the registry"),
        el("p", {}, joined(r[3], registryLink, LINKS))) : null,
      el("section", { class: "waiver" }, el("h5", {}, "Waive it (expectations/waivers.yaml)"),
        el("pre", {}, waiverYaml(r)), copyButton("copy waiver", waiverYaml(r))),
      about,
      el("p", { class: "muted" }, "fingerprint " + r[9] + " ",
        el("a", { href: "#finding/" + r[9], class: "permalink" }, "link"), " ",
        copyButton("copy link", findingUrl(r[9]))));
    if (r[11]) box.append(el("p", { class: "waived" }, "Waived: " + JSON.stringify(r[11])));
    return el("tr", { class: "expanded" }, el("td", { colspan: "6" }, box));
  }

  function renderFindings(focus, block) {
    const body = document.querySelector("#findings-table tbody");
    const pages = Math.max(1, Math.ceil(state.rows.length / PAGE));
    state.page = Math.max(0, Math.min(state.page, pages - 1));
    const slice = state.rows.slice(state.page * PAGE, (state.page + 1) * PAGE);
    const fragment = document.createDocumentFragment();
    for (const i of slice) {
      const r = F.rows[i];
      const severity = F.severities[r[0]];
      const tag = r[10] ? el("span", { class: "tag " + r[10] }, r[10]) : null;
      const open = state.open.has(i);
      const row = el("tr", { class: "finding sev-" + severity, "data-index": String(i), tabindex: "0", "aria-expanded": String(open) },
        el("td", {}, el("span", { class: "sev" }, severity), tag),
        el("td", {}, F.rules[r[1]]), el("td", {}, joined(r[3], trialLink, LINKS)),
        el("td", {}, r[4].map((s) => F.sources[s]).join(", ")),
        el("td", {}, r[5]), el("td", { class: "message" }, r[6]));
      fragment.append(row);
      if (open) fragment.append(detailRow(i));
    }
    body.replaceChildren(fragment);
    $("count").textContent = state.rows.length.toLocaleString("en") + " of " + plural(F.rows.length, "finding");
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    document.querySelectorAll("#findings-table thead th").forEach((th) => {
      const key = th.querySelector("button").dataset.sort;
      const sorted = state.sort === key;
      th.setAttribute("aria-sort", sorted ? (state.desc ? "descending" : "ascending") : "none");
      th.querySelector(".arrow").textContent = sorted ? (state.desc ? " ▼" : " ▲") : "";
    });
    if (focus !== undefined) {
      const row = body.querySelector('tr.finding[data-index="' + focus + '"]');
      if (row) { row.focus({ preventScroll: true }); row.scrollIntoView({ block: block || "nearest" }); }
    }
  }

  function toggle(row) {
    const i = +row.dataset.index;
    state.open.has(i) ? state.open.delete(i) : state.open.add(i);
    renderFindings(i);
  }
  const tbody = document.querySelector("#findings-table tbody");
  tbody.addEventListener("click", (event) => {
    if (event.target.closest("a, button, .expanded")) return;
    const row = event.target.closest("tr.finding");
    if (row) toggle(row);
  });
  tbody.addEventListener("keydown", (event) => {
    const row = event.target.closest("tr.finding");
    if (!row || event.target !== row || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    toggle(row);
  });

  function findingsHash() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filterValues())) if (value) params.set(key, value);
    if (state.sort) params.set("sort", (state.desc ? "-" : "") + state.sort);
    if (state.page) params.set("page", String(state.page + 1));
    const text = params.toString();
    return "#findings" + (text ? "?" + text : "");
  }
  function navigate(hash, replace) {
    if (hash !== location.hash) history[replace ? "replaceState" : "pushState"](null, "", hash);
    route();
  }
  document.querySelectorAll("#findings-table button.sort").forEach((button) => {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      state.desc = state.sort === key ? !state.desc : false;
      state.sort = key;
      state.page = 0;
      navigate(findingsHash());
    });
  });
  let timer = null;
  const filtered = (replace) => { state.page = 0; navigate(findingsHash(), replace); };
  ["f-severity", "f-rule", "f-source", "f-status"].forEach((id) => $(id).addEventListener("change", () => filtered(false)));
  ["f-trial", "f-text"].forEach((id) => $(id).addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => filtered(true), 120);
  }));
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("prev").addEventListener("click", () => { state.page--; navigate(findingsHash()); });
  $("next").addEventListener("click", () => { state.page++; navigate(findingsHash()); });

  function csvCell(value) {
    let text = String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text; // not a formula in a spreadsheet
    return '"' + text.replace(/"/g, '""') + '"';
  }
  $("csv").addEventListener("click", () => {
    const lines = [["severity", "rule", "trials", "sources", "field", "message", "status", "fingerprint", "record_files"].join(",")];
    for (const i of state.rows) {
      const r = F.rows[i];
      lines.push([F.severities[r[0]], F.rules[r[1]], r[3].join(" "), r[4].map((s) => F.sources[s]).join(" "),
        r[5], r[6], r[10], r[9], r[7].join(" ")].map(csvCell).join(","));
    }
    const url = URL.createObjectURL(new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" }));
    const link = el("a", { href: url, download: "findings.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  function showFindings(params) {
    for (const [key, id] of FILTERS) {
      const control = $(id), value = params.get(key) || "";
      control.value = value;
      if (control.value !== value) control.value = ""; // not an option of this report
    }
    const sort = params.get("sort") || "";
    state.desc = sort.startsWith("-");
    state.sort = COLUMNS[sort.replace(/^-/, "")] !== undefined ? sort.replace(/^-/, "") : null;
    state.page = Math.max(0, (parseInt(params.get("page"), 10) || 1) - 1);
    applyFilters();
    renderFindings();
  }

  function showFinding(fingerprint) {
    showFindings(new URLSearchParams());
    const at = state.rows.findIndex((i) => F.rows[i][9] === fingerprint);
    if (at < 0) { $("count").textContent = "No finding " + fingerprint + " in this report."; return; }
    state.page = Math.floor(at / PAGE);
    state.open.add(state.rows[at]);
    renderFindings(state.rows[at], "start");
  }

  // ---- trials ---------------------------------------------------------------------------
  const trialsById = new Map(data.trials.map((t) => [t.trial, t]));
  const findingsByTrial = new Map();
  const severityCounts = new Map(); // trial -> [errors, warnings, infos]
  F.rows.forEach((r, i) => r[3].forEach((t) => {
    if (!findingsByTrial.has(t)) { findingsByTrial.set(t, []); severityCounts.set(t, [0, 0, 0]); }
    findingsByTrial.get(t).push(i);
    severityCounts.get(t)[r[0]]++;
  }));
  const NONE = [0, 0, 0];
  const byFindings = data.trials.slice().sort((a, b) => {
    const x = severityCounts.get(a.trial) || NONE, y = severityCounts.get(b.trial) || NONE;
    return (y[0] - x[0]) || (y[1] - x[1]) || (y[2] - x[2]) || (a.trial < b.trial ? -1 : 1);
  });

  function severitySummary(counts) {
    return counts.map((n, s) => (n ? plural(n, F.severities[s]) : "")).filter(Boolean).join(" · ");
  }

  function showing(node, shown, total, what) {
    node.textContent = shown < total
      ? "showing " + shown.toLocaleString("en") + " of " + plural(total, what) + ": refine the search"
      : plural(total, what);
  }

  function renderTrialList() {
    const query = $("t-search").value.trim().toLowerCase();
    const items = [];
    let total = 0;
    for (const t of byFindings) {
      if (query && !(t.trial.toLowerCase().includes(query) || String(t.title).toLowerCase().includes(query))) continue;
      total++;
      if (items.length >= LIST) continue;
      const counts = severityCounts.get(t.trial);
      items.push(el("li", {}, trialLink(t.trial),
        counts ? el("span", { class: "counts sev-" + F.severities[counts.findIndex((n) => n > 0)] }, " " + severitySummary(counts)) : null,
        el("span", { class: "title" }, t.title),
        el("span", { class: "muted" }, t.sources.join(", "))));
    }
    showing($("trial-count"), items.length, total, "trial");
    $("trial-list").replaceChildren(...items);
  }

  function renderTrial(id) {
    const t = trialsById.get(id);
    const box = $("trial-detail");
    if (!t) { box.replaceChildren(el("p", { class: "muted" }, "No trial view of " + id + " in this report (it shows at most 5,000 trials, those with findings first)."), el("p", {}, registryLink(id))); return; }
    const findings = el("ul", { class: "trial-findings" });
    for (const i of findingsByTrial.get(id) || []) {
      const r = F.rows[i];
      findings.append(el("li", { class: "sev-" + F.severities[r[0]] }, el("span", { class: "sev" }, F.severities[r[0]]), " ",
        el("a", { href: "#finding/" + r[9] }, F.rules[r[1]]), r[5] ? " (" + r[5] + ")" : "", ": " + r[6]));
    }
    const head = el("tr", {}, el("th", { scope: "col", class: "field" }, "field"));
    t.sources.forEach((s, n) => head.append(el("th", { scope: "col" }, el("span", { class: "source" }, s),
      el("span", { class: "captured" }, t.captured[n] ? "captured " + t.captured[n] : "capture date unknown"),
      recordLink(t.files[n]))));
    const body = el("tbody");
    for (const row of t.rows) {
      if (row.values.every((v) => v === "")) continue;
      const label = el("th", { scope: "row" }, row.field);
      const flags = row.findings || [];  // rows no finding is about carry no list
      if (flags.length) label.append(el("span", { class: "flag", title: "findings: " + flags.join(", ") }, " ⚑ " + flags.join(", ")));
      const tr = el("tr", { class: [row.conflict ? "conflict" : "", flags.length ? "flagged" : ""].join(" ").trim() }, label);
      row.values.forEach((value, n) => {
        const cell = el("td", {}, safeLink(value));
        if (row.lines[n]) cell.append(el("span", { class: "line", title: "line in the source file" }, " line " + row.lines[n]));
        tr.append(cell);
      });
      body.append(tr);
    }
    const table = el("table", { class: "side-by-side", id: "side-by-side" }, el("thead", {}, head), body);
    const columns = Math.min(t.sources.length, SIDE_BY_SIDE);
    table.style.width = "calc(11rem + " + t.sources.length + " * (100% - 11rem) / " + columns + ")";
    const people = el("ul", { class: "people-variants" });
    for (const p of t.people) {
      people.append(el("li", { class: p.misspelled ? "conflict" : "" },
        p.spellings.join(" / ") || "(no name)", el("span", { class: "muted" }, " · " + p.roles.join(", ") + " · " + p.sources.join(", "))));
    }
    box.replaceChildren(
      el("h2", {}, t.trial + " · " + t.title), el("p", {}, registryLink(t.trial)),
      el("h3", {}, "Findings"), findings.childElementCount ? findings : el("p", { class: "muted" }, "No findings."),
      el("h3", {}, plural(t.sources.length, "source") + ", newest first"),
      el("div", { class: "scroll" }, table),
      el("h3", {}, "People and their spellings"), people);
  }
  $("t-search").addEventListener("input", renderTrialList);

  // ---- people ---------------------------------------------------------------------------
  function renderPeople() {
    const query = $("p-search").value.trim().toLowerCase();
    const rows = [];
    let total = 0;
    for (const p of data.people) {
      const text = (p.written.join(" ") + " " + p.emails.join(" ")).toLowerCase();
      if (query && !text.includes(query)) continue;
      total++;
      if (rows.length >= LIST) continue;
      const names = el("td", { title: p.written.join("; ") }, p.spellings.join(" / ") || "(no name)");
      if (p.misspelled.length) names.append(el("div", { class: "muted" }, "misspelled: " + p.misspelled.map((g) => g.join(" ≠ ")).join("; ")));
      rows.push(el("tr", { class: p.misspelled.length ? "conflict" : "" },
        names, el("td", {}, p.emails.join(", ")),
        el("td", {}, p.roles.join(", ")), el("td", {}, joined(p.trials, trialLink))));
    }
    showing($("people-count"), rows.length, total, "person");
    document.querySelector("#people-table tbody").replaceChildren(...rows);
  }
  $("p-search").addEventListener("input", renderPeople);

  // ---- routing --------------------------------------------------------------------------
  function show(view) {
    document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== "view-" + view; });
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === view));
  }
  let routed = null;
  function route() {
    if (location.hash === routed) return;
    routed = location.hash;
    const raw = location.hash.slice(1), mark = raw.indexOf("?");
    const path = decodeURIComponent(mark < 0 ? raw : raw.slice(0, mark));
    const params = new URLSearchParams(mark < 0 ? "" : raw.slice(mark + 1));
    if (path.startsWith("trial/")) { show("trials"); renderTrial(path.slice(6)); return; }
    if (path.startsWith("finding/")) { show("findings"); showFinding(path.slice(8)); return; }
    if (path === "findings") showFindings(params);
    show(["findings", "trials", "people"].includes(path) ? path : "overview");
  }
  window.addEventListener("hashchange", route);
  window.addEventListener("popstate", route);
  showFindings(new URLSearchParams());
  renderTrialList();
  renderPeople();
  route();
  document.body.dataset.ready = "true";
})();
