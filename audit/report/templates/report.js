"use strict";
// trial-audit report. Every value from the data is written with textContent (never as HTML);
// only http(s) URLs become links.
(function () {
  const data = JSON.parse(document.getElementById("audit-data").textContent);
  const F = data.findings;
  const PAGE = 100;
  const state = { page: 0, sort: null, desc: false, open: new Set(), rows: F.rows };
  const $ = (id) => document.getElementById(id);

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

  function trialLink(id) {
    return el("a", { href: "#trial/" + encodeURIComponent(id), class: "trial" }, id);
  }

  function recordLink(file) {
    const href = "../records/" + String(file).split("/").map(encodeURIComponent).join("/");
    return el("a", { href: href, class: "file" }, file);
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
    values.forEach((value, index) => select.append(el("option", { value: String(index) }, value)));
  }
  fillSelect($("f-severity"), F.severities);
  fillSelect($("f-rule"), F.rules);
  fillSelect($("f-source"), F.sources);

  function applyFilters() {
    const severity = $("f-severity").value, rule = $("f-rule").value;
    const source = $("f-source").value, status = $("f-status").value;
    const trial = $("f-trial").value.trim().toLowerCase();
    const words = $("f-text").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const rows = [];
    for (let i = 0; i < F.rows.length; i++) {
      const r = F.rows[i];
      if (severity !== "" && r[0] !== +severity) continue;
      if (rule !== "" && r[1] !== +rule) continue;
      if (source !== "" && !r[4].includes(+source)) continue;
      if (status !== "" && r[10] !== status) continue;
      if (trial && !r[3].some((t) => t.toLowerCase().includes(trial))) continue;
      if (words.length && !words.every((w) => haystack(i).includes(w))) continue;
      rows.push(i);
    }
    if (state.sort !== null) {
      const column = state.sort, sign = state.desc ? -1 : 1;
      const key = (i) => {
        const v = F.rows[i][column];
        if (column === 1) return F.rules[v];
        if (column === 4) return v.map((s) => F.sources[s]).join(",");
        return Array.isArray(v) ? v.join(",") : v;
      };
      rows.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * sign; });
    }
    state.rows = rows;
    state.page = 0;
    renderFindings();
  }

  function detailRow(i) {
    const r = F.rows[i];
    const rule = F.rules[r[1]];
    const doc = data.docs[rule] || "";
    const files = el("p", {}, "Record files: ");
    r[7].forEach((file, n) => { if (n) files.append(", "); files.append(recordLink(file)); });
    const box = el("div", { class: "detail" },
      el("h4", {}, rule + " · " + r[2]),
      el("pre", { class: "doc" }, doc),
      el("h4", {}, "Evidence"),
      el("pre", { class: "evidence" }, JSON.stringify(r[8], null, 2)),
      files,
      el("p", { class: "muted" }, "fingerprint " + r[9]));
    if (r[11]) box.append(el("p", { class: "waived" }, "Waived: " + JSON.stringify(r[11])));
    return el("tr", { class: "expanded" }, el("td", { colspan: "6" }, box));
  }

  function renderFindings() {
    const body = document.querySelector("#findings-table tbody");
    const pages = Math.max(1, Math.ceil(state.rows.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const slice = state.rows.slice(state.page * PAGE, (state.page + 1) * PAGE);
    const fragment = document.createDocumentFragment();
    for (const i of slice) {
      const r = F.rows[i];
      const trials = el("td", {});
      r[3].forEach((t, n) => { if (n) trials.append(" "); trials.append(trialLink(t)); });
      const severity = F.severities[r[0]];
      const tag = r[10] ? el("span", { class: "tag " + r[10] }, r[10]) : null;
      const row = el("tr", { class: "finding sev-" + severity, "data-index": String(i) },
        el("td", {}, el("span", { class: "sev" }, severity), tag),
        el("td", {}, F.rules[r[1]]), trials,
        el("td", {}, r[4].map((s) => F.sources[s]).join(", ")),
        el("td", {}, r[5]), el("td", { class: "message" }, r[6]));
      fragment.append(row);
      if (state.open.has(i)) fragment.append(detailRow(i));
    }
    body.replaceChildren(fragment);
    $("count").textContent = state.rows.length + " of " + F.rows.length + " findings";
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
  }

  document.querySelector("#findings-table tbody").addEventListener("click", (event) => {
    if (event.target.closest("a")) return;
    const row = event.target.closest("tr.finding");
    if (!row) return;
    const i = +row.dataset.index;
    state.open.has(i) ? state.open.delete(i) : state.open.add(i);
    renderFindings();
  });
  document.querySelectorAll("#findings-table th[data-sort]").forEach((th) => {
    th.addEventListener("click", () => {
      const column = +th.dataset.sort;
      state.desc = state.sort === column ? !state.desc : false;
      state.sort = column;
      applyFilters();
    });
  });
  let timer = null;
  const debounced = () => { clearTimeout(timer); timer = setTimeout(applyFilters, 120); };
  ["f-severity", "f-rule", "f-source", "f-status"].forEach((id) => $(id).addEventListener("change", applyFilters));
  ["f-trial", "f-text"].forEach((id) => $(id).addEventListener("input", debounced));
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("prev").addEventListener("click", () => { state.page--; renderFindings(); });
  $("next").addEventListener("click", () => { state.page++; renderFindings(); });

  // ---- trials ---------------------------------------------------------------------------
  const trialsById = new Map(data.trials.map((t) => [t.trial, t]));
  const findingsByTrial = new Map();
  F.rows.forEach((r, i) => r[3].forEach((t) => {
    if (!findingsByTrial.has(t)) findingsByTrial.set(t, []);
    findingsByTrial.get(t).push(i);
  }));

  function renderTrialList() {
    const query = $("t-search").value.trim().toLowerCase();
    const list = $("trial-list");
    const items = [];
    for (const t of data.trials) {
      if (query && !(t.trial.toLowerCase().includes(query) || String(t.title).toLowerCase().includes(query))) continue;
      const count = (findingsByTrial.get(t.trial) || []).length;
      items.push(el("li", {}, trialLink(t.trial), el("span", { class: "muted" }, " " + t.sources.join(", ") + (count ? " · " + count + " findings" : ""))));
      if (items.length >= 500) break;
    }
    list.replaceChildren(...items);
  }

  function renderTrial(id) {
    const t = trialsById.get(id);
    const box = $("trial-detail");
    if (!t) { box.replaceChildren(el("p", { class: "muted" }, "No trial view of " + id + " in this report (it shows at most 5,000 trials, those with findings first).")); return; }
    const head = el("tr", {}, el("th", {}, "field"));
    t.sources.forEach((s, n) => head.append(el("th", {}, s, el("br"), recordLink(t.files[n]))));
    const body = el("tbody");
    for (const row of t.rows) {
      if (row.values.every((v) => v === "")) continue;
      const tr = el("tr", { class: row.conflict ? "conflict" : "" }, el("th", {}, row.field));
      row.values.forEach((value, n) => {
        const cell = el("td", {}, safeLink(value));
        if (row.lines[n]) cell.append(el("span", { class: "line", title: "line in the source file" }, " line " + row.lines[n]));
        tr.append(cell);
      });
      body.append(tr);
    }
    const people = el("ul", { class: "people-variants" });
    for (const p of t.people) {
      people.append(el("li", { class: p.misspelled ? "conflict" : "" },
        p.spellings.join(" / ") || "(no name)", el("span", { class: "muted" }, " · " + p.roles.join(", ") + " · " + p.sources.join(", "))));
    }
    const list = el("ul", { class: "trial-findings" });
    for (const i of findingsByTrial.get(id) || []) {
      const r = F.rows[i];
      list.append(el("li", { class: "sev-" + F.severities[r[0]] }, el("span", { class: "sev" }, F.severities[r[0]]), " " + F.rules[r[1]] + ": " + r[6]));
    }
    box.replaceChildren(
      el("h2", {}, t.trial + " · " + t.title),
      el("table", { class: "side-by-side", id: "side-by-side" }, el("thead", {}, head), body),
      el("h3", {}, "People and their spellings"), people,
      el("h3", {}, "Findings"), list);
  }
  $("t-search").addEventListener("input", renderTrialList);

  // ---- people ---------------------------------------------------------------------------
  function renderPeople() {
    const query = $("p-search").value.trim().toLowerCase();
    const rows = [];
    for (const p of data.people) {
      const text = (p.written.join(" ") + " " + p.emails.join(" ")).toLowerCase();
      if (query && !text.includes(query)) continue;
      const trials = el("td", {});
      p.trials.forEach((t, n) => { if (n) trials.append(" "); trials.append(trialLink(t)); });
      const names = el("td", { title: p.written.join("; ") }, p.spellings.join(" / ") || "(no name)");
      if (p.misspelled.length) names.append(el("div", { class: "muted" }, "misspelled: " + p.misspelled.map((g) => g.join(" ≠ ")).join("; ")));
      rows.push(el("tr", { class: p.misspelled.length ? "conflict" : "" },
        names, el("td", {}, p.emails.join(", ")),
        el("td", {}, p.roles.join(", ")), trials));
      if (rows.length >= 500) break;
    }
    document.querySelector("#people-table tbody").replaceChildren(...rows);
  }
  $("p-search").addEventListener("input", renderPeople);

  // ---- routing --------------------------------------------------------------------------
  function show(view) {
    document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== "view-" + view; });
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === view));
  }
  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    if (hash.startsWith("trial/")) { show("trials"); renderTrial(hash.slice(6)); return; }
    show(["findings", "trials", "people"].includes(hash) ? hash : "overview");
  }
  window.addEventListener("hashchange", route);
  applyFilters();
  renderTrialList();
  renderPeople();
  route();
  document.body.dataset.ready = "true";
})();
