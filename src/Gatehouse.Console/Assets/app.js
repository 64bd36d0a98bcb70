// Gatehouse console: the pages' script. Plain JavaScript, no build step, no external code.
// Every value from a gateway is put in the page as text (textContent), never as HTML.
"use strict";

const HEADERS = { "Content-Type": "application/json", "X-Gatehouse-Console": "1" };
const PAGES = ["cluster", "services", "run", "metrics"];
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const HISTORY = 60;

const state = { page: "cluster", cluster: null, samples: new Map(), run: null, source: null };

function $(selector) { return document.querySelector(selector); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function banner(text) {
  const b = $("#banner");
  b.textContent = text || "";
  b.hidden = !text;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {}));
  if (response.status === 401) {
    banner("This console session has ended (401). Start 'gatehouse console' again and open the new link.");
    throw new Error("unauthorized");
  }
  return response;
}

// ---- navigation ----
function show(page) {
  if (!PAGES.includes(page)) page = "cluster";
  state.page = page;
  for (const p of PAGES) {
    $("#page-" + p).hidden = p !== page;
    const link = $("#nav-" + p);
    if (p === page) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (page === "services") refreshServices();
  if (page === "metrics") drawCharts();
}

// ---- cluster ----
function uptime(seconds) {
  const s = Math.max(0, seconds | 0);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
}

function addNode(address) {
  const input = $("#run-nodes");
  const parts = input.value.split(",").map(s => s.trim()).filter(Boolean);
  if (!parts.includes(address)) parts.push(address);
  input.value = parts.join(",");
  previewNodes();
}

function renderCluster(view) {
  $("#source").textContent = view.source;
  const body = $("#members tbody");
  body.replaceChildren();
  const problems = [];
  if (view.viaProblem) problems.push((view.via || "node sets") + ": " + view.viaProblem.message);
  for (const m of view.members) {
    const s = m.status;
    const row = el("tr", { "data-address": m.address, class: m.problem ? ("problem" + (m.problem.kind === "fingerprint" ? " fingerprint-changed" : "")) : null });
    const stateText = m.problem ? (m.problem.kind === "fingerprint" ? "FINGERPRINT CHANGED" : "error") : m.state;
    row.append(
      el("td", {}, el("span", { class: "state " + (m.problem ? "error" : m.state), text: stateText })),
      el("td", { text: m.address + (m.self ? " (via)" : "") }),
      el("td", { text: m.host || "" }),
      el("td", { class: "fp", title: m.fingerprint || (s && s.fingerprint) || "", text: m.fingerprint || (s && s.fingerprint) || "" }),
      el("td", { text: m.pinSource + (m.pinConflict ? " (conflict)" : "") , title: m.pinConflict || null }));
    if (m.problem) {
      row.append(el("td", { colspan: 6, class: "problem-text", text: m.problem.message }));
      if (m.problem.kind === "fingerprint") problems.push(m.problem.message);
    } else if (s) {
      row.append(
        el("td", { class: "num", text: uptime(s.uptimeSeconds) }),
        el("td", { class: "num", text: s.connections }),
        el("td", { class: "num", text: s.routes }),
        el("td", { class: "num", text: s.inFlight }),
        el("td", { class: "num", text: s.requests }),
        el("td", { class: "num", text: m.latencyMs === null ? "" : m.latencyMs.toFixed(1) + " ms" }));
    } else {
      row.append(el("td", { colspan: 6, text: "not asked (" + m.state + ")" }));
    }
    row.append(el("td", {}, el("button", { type: "button", class: "chip", "aria-label": "Add " + m.address + " to the run's nodes", onclick: () => { addNode(m.address); location.hash = "#run"; }, text: "+ run" })));
    body.append(row);
  }
  banner(problems.join("  |  "));
  $("#cluster-updated").textContent = "Updated " + new Date(view.takenAt).toLocaleTimeString() + ".";

  // Run page: completion and clickable members.
  const list = $("#node-suggestions");
  list.replaceChildren(...view.groups.map(g => el("option", { value: "@" + g })), ...view.members.map(m => el("option", { value: m.address })));
  const chips = $("#node-chips");
  chips.replaceChildren(...view.members.filter(m => !m.problem).map(m =>
    el("button", { type: "button", class: "chip", "aria-label": "Add " + m.address + " to the nodes", onclick: () => addNode(m.address), text: m.address })));
}

function sample(view) {
  for (const m of view.members) {
    if (!m.status) continue;
    let series = state.samples.get(m.address);
    if (!series) { series = []; state.samples.set(m.address, series); }
    const prev = series[series.length - 1];
    const t = view.takenAt;
    const rate = prev && t > prev.t ? Math.max(0, (m.status.requests - prev.requests) * 1000 / (t - prev.t)) : null;
    series.push({ t, requests: m.status.requests, rate, inFlight: m.status.inFlight, latency: m.latencyMs });
    if (series.length > HISTORY) series.shift();
  }
}

async function refreshCluster() {
  try {
    const response = await api("/api/cluster");
    if (!response.ok) { banner("The console could not read the cluster (" + response.status + ")."); return; }
    const view = await response.json();
    state.cluster = view;
    renderCluster(view);
    sample(view);
    if (state.page === "metrics") drawCharts();
  } catch (e) {
    if (e.message !== "unauthorized") banner("The console does not answer: " + e.message);
  }
}

// ---- services ----
async function refreshServices() {
  try {
    const response = await api("/api/services");
    if (!response.ok) return;
    const view = await response.json();
    const body = $("#routes tbody");
    body.replaceChildren(...view.routes.map(r => el("tr", { "data-route": r.domain + "/" + r.command },
      el("td", { text: r.domain }), el("td", { text: r.command }), el("td", { text: r.hosts }),
      el("td", { class: "wrap", text: [...new Set(r.perGateway.flatMap(g => g.services))].join(", ") }),
      el("td", { class: "num", text: r.outstanding }), el("td", { class: "num", text: r.queued }),
      el("td", { class: "num", text: r.concurrency }), el("td", { class: "num", text: r.served }))));
    $("#services-problems").replaceChildren(...Object.entries(view.problems).map(([gw, p]) => el("li", { text: gw + ": " + p.message })));
    $("#services-updated").textContent = "Updated " + new Date(view.takenAt).toLocaleTimeString() + ".";
  } catch (e) { /* the banner says it */ }
}

// ---- run ----
function splitArgs(text) {
  const args = [];
  let current = null, quote = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null; else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch; current = current ?? "";
    } else if (/\s/.test(ch)) {
      if (current !== null) { args.push(current); current = null; }
    } else {
      current = (current ?? "") + ch;
    }
  }
  if (quote) throw new Error("unclosed " + quote);
  if (current !== null) args.push(current);
  return args;
}

let previewTimer = null;
function previewNodes() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(async () => {
    const expr = $("#run-nodes").value.trim();
    const p = $("#run-nodes-preview");
    if (!expr) { p.textContent = ""; return; }
    const response = await api("/api/nodeset?expr=" + encodeURIComponent(expr));
    const body = await response.json();
    p.classList.toggle("bad", !!body.error);
    p.textContent = body.error ? body.error : body.count + (body.count === 1 ? " node: " : " nodes: ") + body.folded;
  }, 200);
}

function previewArgs() {
  const p = $("#run-args-preview");
  try {
    const args = splitArgs($("#run-args").value);
    p.classList.remove("bad");
    p.textContent = args.length ? args.length + " argument(s): " + args.map(a => "[" + a + "]").join(" ") : "Passed as separate arguments, never through a shell.";
  } catch (e) { p.classList.add("bad"); p.textContent = e.message; }
}

function nodePanel(node) {
  let panel = document.querySelector('#live .node[data-node="' + CSS.escape(node) + '"]');
  if (!panel) {
    const id = "live-" + node.replace(/[^A-Za-z0-9]/g, "-");
    panel = el("section", { class: "node", "data-node": node, "aria-labelledby": id },
      el("header", {}, el("span", { id, text: node }), el("span", { class: "node-status", text: "running" })),
      el("pre", { "aria-live": "off" }));
    $("#live").append(panel);
  }
  return panel;
}

function onRunEvent(e) {
  const ev = JSON.parse(e.data);
  if (ev.type === "start") {
    $("#run-state").textContent = "Running " + ev.command + " on " + ev.folded + " (" + ev.nodes.length + ")";
    for (const n of ev.nodes) nodePanel(n);
  } else if (ev.type === "output") {
    const pre = nodePanel(ev.node).querySelector("pre");
    pre.append(ev.stream === "stderr" ? el("span", { class: "err", text: ev.text }) : document.createTextNode(ev.text));
    pre.scrollTop = pre.scrollHeight;
  } else if (ev.type === "done") {
    const panel = nodePanel(ev.node);
    const ok = ev.kind === "ok";
    panel.classList.add(ok ? "ok" : "failed");
    panel.dataset.kind = ev.kind;
    panel.querySelector(".node-status").textContent = ev.exitCode !== null ? "exit " + ev.exitCode : ev.error ? ev.kind + ": " + ev.error : ev.kind;
  } else if (ev.type === "end") {
    state.run.source.close();
    $("#run-cancel").disabled = true;
    $("#run-start").disabled = false;
    const kinds = [...document.querySelectorAll("#live .node")].map(p => p.dataset.kind);
    const failed = kinds.filter(k => k !== "ok" && k !== "cancelled").length, cancelled = kinds.filter(k => k === "cancelled").length;
    const parts = [];
    if (failed) parts.push(failed + " node(s) failed.");
    if (cancelled) parts.push(cancelled + " node(s) cancelled.");
    $("#run-state").textContent = (ev.cancelled ? "Cancelled. " : "Done. ") + (parts.length ? parts.join(" ") : "Every node exited 0.");
    $("#summary").replaceChildren(...ev.statuses.map(s => el("li", { class: s.ok ? "ok" : "failed", "data-status": s.status },
      (s.count > 1 ? s.nodes + " (" + s.count + ")" : s.nodes) + ": " + s.status)));
    $("#gathered").replaceChildren(...ev.gathered.map(g => el("section", { class: "block " + (g.status === "exit 0" ? "ok" : "failed"), "data-nodes": g.nodes },
      el("header", {}, el("span", { class: "label", text: g.count > 1 ? g.nodes + " (" + g.count + ")" : g.nodes }), el("span", { text: g.status })),
      el("pre", { text: g.output }))));
  }
}

async function startRun(event) {
  event.preventDefault();
  let args;
  try { args = splitArgs($("#run-args").value); } catch (e) { $("#run-state").textContent = "Arguments: " + e.message; return; }
  const body = { nodes: $("#run-nodes").value, domain: $("#run-domain").value, command: $("#run-command").value, args, stdin: $("#run-stdin").value || null };
  $("#run-start").disabled = true;
  try {
    const response = await api("/api/runs", { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) { $("#run-state").textContent = answer.error || ("refused (" + response.status + ")"); $("#run-start").disabled = false; return; }
    if (state.run) state.run.source.close();
    $("#live").replaceChildren(); $("#gathered").replaceChildren(); $("#summary").replaceChildren();
    const source = new EventSource("/api/runs/" + answer.id + "/events");
    state.run = { id: answer.id, source };
    source.onmessage = onRunEvent;
    $("#run-cancel").disabled = false;
  } catch (e) {
    $("#run-start").disabled = false;
    if (e.message !== "unauthorized") $("#run-state").textContent = "The console does not answer: " + e.message;
  }
}

async function cancelRun() {
  if (!state.run) return;
  $("#run-cancel").disabled = true;
  $("#run-state").textContent = "Cancelling every call...";
  await api("/api/runs/" + state.run.id + "/cancel", { method: "POST", headers: HEADERS, body: "{}" });
}

// ---- metrics ----
function drawChart(target, key, unit) {
  const chart = $(target);
  const W = 600, H = 200, L = 44, B = 18, T = 8;
  const series = [...state.samples.entries()];
  const values = series.flatMap(([, s]) => s.map(p => p[key]).filter(v => v !== null && v !== undefined));
  const max = Math.max(1, ...values) * 1.1;
  const nodes = [svg("line", { class: "axis", x1: L, y1: H - B, x2: W, y2: H - B }), svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B })];
  for (const f of [0, 0.5, 1]) {
    const y = H - B - f * (H - B - T);
    const label = svg("text", { x: 2, y: y + 4 });
    label.textContent = (max * f).toFixed(max * f >= 10 ? 0 : 1) + (f === 1 ? " " + unit : "");
    nodes.push(label);
  }
  // Time runs left to right over what has been sampled (at most the last HISTORY samples).
  const times = series.flatMap(([, s]) => s.map(p => p.t));
  const t0 = Math.min(...times), span = Math.max(10000, Math.max(...times) - t0);
  const xLabel = svg("text", { x: W - 150, y: H - 4 });
  xLabel.textContent = times.length ? "last " + Math.round(span / 1000) + " s" : "no samples yet";
  nodes.push(xLabel);
  series.forEach(([address, s], i) => {
    const points = s.filter(p => p[key] !== null && p[key] !== undefined)
      .map(p => (L + (W - L) * (p.t - t0) / span).toFixed(1) + "," + (H - B - (p[key] / max) * (H - B - T)).toFixed(1));
    if (points.length) nodes.push(svg("polyline", { points: points.join(" "), fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2, "data-gateway": address }));
  });
  chart.replaceChildren(...nodes);
}


function drawCharts() {
  drawChart("#chart-rate", "rate", "req/s");
  drawChart("#chart-inflight", "inFlight", "");
  drawChart("#chart-latency", "latency", "ms");
  $("#legend").replaceChildren(...[...state.samples.keys()].map((address, i) => {
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = COLORS[i % COLORS.length];
    const last = state.samples.get(address).at(-1);
    return el("li", {}, swatch, address + (last && last.rate !== null ? " — " + last.rate.toFixed(1) + " req/s, " + last.latency.toFixed(1) + " ms" : ""));
  }));
}

// ---- start ----
window.addEventListener("hashchange", () => show(location.hash.slice(1)));
document.addEventListener("DOMContentLoaded", () => {
  $("#run-form").addEventListener("submit", startRun);
  $("#run-cancel").addEventListener("click", cancelRun);
  $("#run-nodes").addEventListener("input", previewNodes);
  $("#run-args").addEventListener("input", previewArgs);
  show(location.hash.slice(1));
  // One refresh at a time: the next starts 2 s after the last answer, so a slow gateway does not pile requests up.
  const loop = async () => { await refreshCluster(); setTimeout(loop, 2000); };
  loop();
  setInterval(() => { if (state.page === "services") refreshServices(); }, 3000);
});
