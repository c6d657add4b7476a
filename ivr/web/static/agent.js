// The agent desktop: the screen-pop of the ringing call, status, disposition, back to the bot, knowledge.
// Everything the server sends is put on the page with textContent (see common.js): never as markup.
"use strict";

(function () {
  const body = document.body;
  let current = null; // the pop shown now

  function bump(name) {
    body.dataset[name] = String(Number(body.dataset[name] || "0") + 1);
  }

  function say(id, text, ok) {
    const node = document.getElementById(id);
    node.textContent = text;
    node.className = ok ? "ok" : "error";
  }

  function renderSlots(slots) {
    const list = document.getElementById("pop-slots");
    Desk.clear(list);
    for (const [key, value] of Object.entries(slots || {})) {
      list.appendChild(Desk.el("dt", key));
      list.appendChild(Desk.el("dd", typeof value === "object" ? JSON.stringify(value) : value));
    }
  }

  function renderTranscript(turns) {
    const list = document.getElementById("pop-transcript");
    Desk.clear(list);
    for (const turn of turns || []) {
      const item = Desk.el("li", null, turn.speaker);
      item.appendChild(Desk.el("span", Desk.time(turn.at), "time"));
      item.appendChild(Desk.el("span", turn.speaker, "speaker"));
      item.appendChild(Desk.el("span", turn.text, "text"));
      if (turn.dtmf) item.appendChild(Desk.el("span", " [keypad " + turn.dtmf + "]", "muted"));
      list.appendChild(item);
    }
  }

  function renderList(id, items, format) {
    const list = document.getElementById(id);
    Desk.clear(list);
    for (const item of items || []) list.appendChild(Desk.el("li", format(item)));
  }

  function historyLine(call) {
    const parts = [new Date(call.started_at).toLocaleString(), call.outcome || "", call.reason || ""];
    for (const d of call.dispositions || []) {
      parts.push(d.category + (d.resolved ? " (resolved)" : " (unresolved)") + (d.notes ? ": " + d.notes : ""));
    }
    if (call.survey_score) parts.push("rated " + call.survey_score + "/5");
    return parts.filter(Boolean).join(" · ");
  }

  function showPop(pop) {
    current = pop;
    document.getElementById("pop").hidden = false;
    document.getElementById("no-pop").hidden = true;
    document.getElementById("pop").dataset.callUuid = pop.call_uuid || "";
    Desk.setText("pop-state", pop.state);
    Desk.setText("pop-queue", pop.queue);
    Desk.setText("pop-caller-name", pop.caller && pop.caller.name);
    Desk.setText("pop-caller-number", pop.caller && pop.caller.number);
    Desk.setText("pop-language", pop.language);
    Desk.setText("pop-tier", pop.tier);
    Desk.setText("pop-reason", pop.reason);
    const score = typeof pop.intent_score === "number" ? " (" + Math.round(pop.intent_score * 100) + " %)" : "";
    Desk.setText("pop-intent", pop.intent ? pop.intent + score : "");
    const sentiment = pop.sentiment || {};
    Desk.setText("pop-sentiment", sentiment.trend || "");
    Desk.setText("pop-summary", pop.summary);
    Desk.setText("pop-briefing", pop.briefing || "");
    const offers = (pop.warm && pop.warm.offers) || [];
    Desk.setText("pop-warm", offers.map(function (o) {
      return (o.agent || "?") + ": " + o.choice + (typeof o.seconds === "number" ? " after " + o.seconds.toFixed(1) + " s" : "");
    }).join("; "));
    renderSlots(pop.slots);
    renderList("pop-answers", pop.answers_tried, function (a) { return a; });
    renderTranscript(pop.transcript);
    renderList("pop-history", pop.history, historyLine);
    const lastCaller = (pop.transcript || []).filter(function (t) { return t.speaker === "caller"; })[0];
    const question = document.getElementById("kb-question");
    if (!question.value && lastCaller) question.value = lastCaller.text;
    if (pop.language) document.getElementById("kb-language").value = pop.language;
    for (const id of ["disposition-result", "knowledge-result", "action-result"]) say(id, "", true);
  }

  function hidePop() {
    current = null;
    document.getElementById("pop").hidden = true;
    document.getElementById("no-pop").hidden = false;
  }

  function onUpdate(msg) {
    if (!current || current.uniqueid !== msg.uniqueid) return;
    if (msg.state === "connected" || msg.state === "completed") {
      current.state = msg.state;
      Desk.setText("pop-state", msg.state);
    } else {
      hidePop();
    }
  }

  function onMessage(msg) {
    bump("messages");
    if (msg.type === "screenpop") {
      bump("pops");
      showPop(msg);
    } else if (msg.type === "call_update") {
      onUpdate(msg);
    } else if (msg.type === "status") {
      if (msg.status) Desk.setText("status-label", msg.status.replace("_", " "));
    } else if (msg.type === "hello") {
      Desk.setText("whoami", msg.user.display_name + (msg.agent_id ? " (" + msg.agent_id + ")" : ""));
    }
  }

  function onState(state) {
    body.dataset.ws = state;
    Desk.setText("ws-state", state === "open" ? "live" : "reconnecting…");
  }

  function callAction(path, payload, resultId, okText) {
    if (!current || !current.call_uuid) {
      say(resultId, "No bot call is selected.", false);
      return;
    }
    Desk.api("POST", "/api/calls/" + encodeURIComponent(current.call_uuid) + path, payload).then(
      function () { say(resultId, okText, true); loadRecent(); },
      function (e) { say(resultId, e.message, false); }
    );
  }

  async function setStatus(status) {
    const reason = document.getElementById("pause-reason").value;
    try {
      const result = await Desk.api("POST", "/api/agent/status", { status: status, reason: reason });
      Desk.setText("status-label", result.status.replace("_", " "));
    } catch (e) {
      say("action-result", e.message, false);
    }
  }

  async function loadRecent() {
    try {
      const result = await Desk.api("GET", "/api/agent/calls");
      renderList("recent-calls", result.calls, function (c) {
        return new Date(c.started_at).toLocaleString() + " · " + (c.caller_number || "?") + " " +
          (c.caller_name || "") + " · " + (c.outcome || "");
      });
    } catch (e) { /* the list is a convenience */ }
  }

  async function init() {
    const categories = await Desk.api("GET", "/api/dispositions/categories");
    const select = document.getElementById("disp-category");
    for (const name of categories.categories) select.appendChild(Desk.el("option", name));
    const status = await Desk.api("GET", "/api/agent/status").catch(function () { return null; });
    if (status) Desk.setText("status-label", status.status.replace("_", " "));
    loadRecent();
    Desk.connect(onMessage, onState);
  }

  document.getElementById("disposition-form").addEventListener("submit", function (event) {
    event.preventDefault();
    callAction("/disposition", {
      category: document.getElementById("disp-category").value,
      notes: document.getElementById("disp-notes").value,
      resolved: document.getElementById("disp-resolved").checked,
    }, "disposition-result", "Disposition saved.");
  });
  document.getElementById("knowledge-form").addEventListener("submit", function (event) {
    event.preventDefault();
    callAction("/knowledge-draft", {
      question: document.getElementById("kb-question").value,
      answer: document.getElementById("kb-answer").value,
      language: document.getElementById("kb-language").value,
    }, "knowledge-result", "Proposed as a knowledge draft.");
  });
  document.getElementById("back-selfservice").addEventListener("click", function () {
    callAction("/back-to-bot", { mode: "self-service" }, "action-result", "Caller sent back to the bot.");
  });
  document.getElementById("back-survey").addEventListener("click", function () {
    callAction("/back-to-bot", { mode: "survey" }, "action-result", "Caller sent to the survey.");
  });
  document.getElementById("dismiss").addEventListener("click", function () {
    Desk.api("POST", "/api/agent/dismiss", {}).then(hidePop, function (e) { say("action-result", e.message, false); });
  });
  document.getElementById("status-ready").addEventListener("click", function () { setStatus("ready"); });
  document.getElementById("status-paused").addEventListener("click", function () { setStatus("paused"); });
  document.getElementById("status-logout").addEventListener("click", function () { setStatus("logged_out"); });
  document.getElementById("logout").addEventListener("click", Desk.logout);

  init().catch(function (e) { say("action-result", e.message, false); });
})();
