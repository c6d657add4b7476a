// Knowledge-base review. Entry texts come from agents and callers' calls: shown through form values and
// textContent only, never as markup.
"use strict";

function say(message) { document.getElementById("message").textContent = message; }

function edits(form) {
  return {
    language: form.elements.language.value.trim(),
    questions: form.elements.questions.value.split("\n").map((q) => q.trim()).filter(Boolean),
    answer: form.elements.answer.value,
    keywords: form.elements.keywords.value.split(",").map((k) => k.trim()).filter(Boolean),
  };
}

function entryNode(entry) {
  const node = document.getElementById("entry-template").content.firstElementChild.cloneNode(true);
  node.dataset.entryId = String(entry.id);
  const form = node.querySelector("form");
  node.querySelector(".entry-id").textContent = "#" + entry.id;
  node.querySelector(".entry-status").textContent = entry.status;
  node.querySelector(".entry-source").textContent = entry.source_call_uuid ? "from call " + entry.source_call_uuid : "";
  form.elements.language.value = entry.language;
  form.elements.questions.value = entry.questions.join("\n");
  form.elements.answer.value = entry.answer;
  form.elements.keywords.value = entry.keywords.join(", ");
  node.querySelector(".publish").hidden = entry.status !== "draft";
  node.querySelector(".reject").hidden = entry.status === "rejected";
  node.querySelector(".save").hidden = entry.status === "rejected";
  const error = node.querySelector(".error");
  const act = async (work, done) => {
    error.textContent = "";
    try { await work(); say(done); await load(); } catch (exc) { error.textContent = exc.message; }
  };
  const save = () => Desk.api("POST", "/api/admin/knowledge/" + entry.id, edits(form));
  form.addEventListener("submit", (event) => { event.preventDefault(); act(save, "Entry #" + entry.id + " saved."); });
  node.querySelector(".publish").addEventListener("click", () => act(async () => {
    await save();
    await Desk.api("POST", "/api/admin/knowledge/" + entry.id + "/publish", {});
  }, "Entry #" + entry.id + " published: the bot uses it from the next call."));
  node.querySelector(".reject").addEventListener("click", () => act(
    () => Desk.api("POST", "/api/admin/knowledge/" + entry.id + "/reject", {}), "Entry #" + entry.id + " rejected."));
  return node;
}

async function load() {
  const status = document.getElementById("status").value;
  const { entries } = await Desk.api("GET", "/api/admin/knowledge?status=" + encodeURIComponent(status));
  document.getElementById("entries").replaceChildren(...entries.map(entryNode));
  document.getElementById("count").textContent = entries.length + " entries";
  document.body.dataset.loaded = status;
}

async function main() {
  const me = await Desk.api("GET", "/api/me");
  document.getElementById("whoami").textContent = me.display_name;
  document.getElementById("logout").addEventListener("click", () => Desk.logout());
  document.getElementById("status").addEventListener("change", () => { say(""); load().catch((e) => say(e.message)); });
  await load();
}

main().catch((exc) => say(exc.message));
