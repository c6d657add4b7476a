// Supervisor view. Every value from the server (caller names, transcripts...) is inserted with
// textContent or createTextNode, never as markup: callers control some of them.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const state = { day: null, tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" };

const api = (path) => Desk.api("GET", path);

function text(value) { return value === null || value === undefined || value === "" ? "–" : String(value); }

function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
}

function percent(rate) { return rate === null || rate === undefined ? "–" : (rate * 100).toFixed(0) + " %"; }

function since(iso, now) { return iso ? (now - Date.parse(iso)) / 1000 : null; }

function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "–";
}

function fillTable(id, rows, cells, key) {
  const body = document.querySelector("#" + id + " tbody");
  const fresh = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    if (key && row[key]) tr.dataset.callUuid = row[key];
    for (const cell of cells(row)) {
      const td = document.createElement("td");
      if (cell && typeof cell === "object") { td.textContent = cell.text; td.className = cell.cls; }
      else td.textContent = text(cell);
      tr.appendChild(td);
    }
    fresh.appendChild(tr);
  }
  body.replaceWith(fresh);
}

function renderLive(live) {
  const now = Date.parse(live.at) || Date.now();
  document.getElementById("live-at").textContent = "at " + clock(live.at);
  document.getElementById("count-in-bot").textContent = String(live.in_bot.length);
  document.getElementById("count-waiting").textContent = String(live.waiting.length);
  document.getElementById("count-with-agents").textContent = String(live.with_agents.length);
  fillTable("in-bot", live.in_bot, (c) => [c.caller_number, c.caller_name, c.language,
    duration(since(c.started_at, now)), c.intent, c.worker], "call_uuid");
  fillTable("waiting", live.waiting, (c) => [c.caller_number, c.caller_name, c.queue, c.reason, c.tier,
    duration(c.waited_seconds !== undefined ? c.waited_seconds : since(c.queued_at || c.created_at, now))],
    "call_uuid");
  fillTable("with-agents", live.with_agents, (c) => [c.caller_number, c.caller_name, c.queue,
    c.agent_name || c.agent_id || c.agent_interface, c.reason, duration(since(c.answered_at, now))], "call_uuid");
  document.getElementById("no-live-queues").hidden = live.live_queues;
  fillTable("queues", live.queues, (q) => [q.name, q.waiting, q.logged_in, q.available,
    duration(q.longest_wait), q.completed, q.abandoned]);
  fillTable("agents", live.agents, (a) => [a.name || a.agent_id || a.interface,
    { text: a.state + (a.paused_reason ? " (" + a.paused_reason + ")" : ""), cls: "state-" + a.state },
    a.queues.join(", "), a.calls_taken]);
}

function svgEl(name, attrs, content) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (content !== undefined) el.textContent = content;
  return el;
}

function hourlyChart(hours) {
  const width = 480, height = 160, pad = 20, band = (width - pad) / 24;
  const top = Math.max(1, ...hours.map((h) => h.calls));
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.appendChild(svgEl("line", { x1: pad, y1: height - pad, x2: width, y2: height - pad, class: "axis" }));
  svg.appendChild(svgEl("text", { x: 0, y: 10 }, String(top)));
  const scale = (n) => (n / top) * (height - 2 * pad);
  hours.forEach((h, i) => {
    const x = pad + i * band;
    const series = [["calls", h.calls, 0], ["transfers", h.transfers, 1], ["abandoned", h.abandoned, 2]];
    for (const [name, value, k] of series) {
      if (!value) continue;
      const rect = svgEl("rect", { x: x + k * band / 3, y: height - pad - scale(value), width: band / 3 - 1,
        height: scale(value), class: "bar-" + name, "data-hour": h.hour, "data-series": name });
      rect.appendChild(svgEl("title", {}, `${h.hour}:00 ${name}: ${value}`));
      svg.appendChild(rect);
    }
    if (i % 3 === 0) svg.appendChild(svgEl("text", { x, y: height - 6 }, String(h.hour)));
  });
  return svg;
}

function reasonsChart(reasons) {
  const width = 480, row = 22, label = 140, height = Math.max(1, reasons.length) * row + 4;
  const top = Math.max(1, ...reasons.map((r) => r.count));
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  if (!reasons.length) svg.appendChild(svgEl("text", { x: 0, y: 14 }, "no transfers"));
  reasons.forEach((r, i) => {
    const y = i * row + 2;
    svg.appendChild(svgEl("text", { x: 0, y: y + 14 }, r.reason));
    const w = ((width - label - 60) * r.count) / top;
    svg.appendChild(svgEl("rect", { x: label, y, width: Math.max(1, w), height: row - 6, class: "bar-reason",
      "data-reason": r.reason }));
    svg.appendChild(svgEl("text", { x: label + w + 4, y: y + 14 }, `${r.count} (${percent(r.rate)})`));
  });
  return svg;
}

function renderFigures(f) {
  const set = (id, value) => { document.getElementById(id).textContent = value; };
  set("kpi-calls", String(f.calls));
  set("kpi-containment", percent(f.containment));
  set("kpi-transfer-rate", percent(f.transfer_rate));
  set("kpi-asa", duration(f.asa_avg_s) + " / " + duration(f.asa_p90_s));
  set("kpi-aht", duration(f.aht_avg_s));
  set("kpi-abandonment", percent(f.abandonment_rate) + (f.abandoned ? " (" + f.abandoned + ")" : ""));
  set("kpi-satisfaction", f.satisfaction_avg === null ? "–"
    : f.satisfaction_avg.toFixed(1) + " / 5 (" + f.survey_count + ", " + percent(f.satisfaction_share_4_5) + " 4–5)");
  set("kpi-fcr", percent(f.fcr_disposition) + " by agents, " + percent(f.fcr_no_repeat_rate) + " no repeat in 24 h");
  set("kpi-warm", f.warm_offers ? percent(f.acceptance_rate) + " of " + f.warm_offers + " offers / "
    + duration(f.accept_avg_s) : "–");
  document.getElementById("chart-hourly").replaceChildren(hourlyChart(f.hourly));
  document.getElementById("chart-reasons").replaceChildren(reasonsChart(f.transfers_by_reason));
}

function renderDayCalls(rows) {
  const secs = (a, b) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : null);
  fillTable("day-calls", rows, (c) => [clock(c.created_at), c.caller_number, c.caller_name, c.queue, c.reason,
    c.agent_name, duration(secs(c.queued_at || c.created_at, c.answered_at || c.abandoned_at)),
    duration(secs(c.answered_at, c.completed_at)), c.abandoned_at ? "abandoned" : c.outcome,
    c.survey_score], "call_uuid");
}

async function loadFigures() {
  const query = "?day=" + encodeURIComponent(state.day) + "&tz=" + encodeURIComponent(state.tz);
  const [figures, calls] = await Promise.all([api("/api/supervisor/figures" + query),
    api("/api/supervisor/calls" + query)]);
  renderFigures(figures);
  renderDayCalls(calls.calls);
}

async function loadLive() { renderLive(await api("/api/supervisor/live")); }

function connect() {
  const status = document.getElementById("connection");
  Desk.connect((msg) => {
    if (msg.type === "hello") loadLive().catch(console.error);
    else if (msg.type === "supervisor" && msg.live) renderLive(msg.live);
  }, (ws) => {
    document.body.dataset.ws = ws;
    status.dataset.state = ws;
    status.textContent = ws === "open" ? "live" : "reconnecting…";
  });
}

async function main() {
  const me = await api("/api/me");
  document.getElementById("whoami").textContent = me.display_name;
  document.getElementById("admin-link").hidden = me.role !== "admin";
  document.getElementById("logout").addEventListener("click", () => Desk.logout());
  const picker = document.getElementById("day");
  const today = new Date();
  state.day = new Date(today.getTime() - today.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  picker.value = state.day;
  picker.addEventListener("change", () => { state.day = picker.value; loadFigures().catch(console.error); });
  await Promise.all([loadLive(), loadFigures()]);
  setInterval(() => loadFigures().catch(console.error), 60000);
  connect();
  document.body.dataset.ready = "1";
}

main().catch(console.error);
