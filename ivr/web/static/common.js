// Helpers shared by the desktop pages. Every value from the server goes into the page as text
// (textContent / createTextNode), never as markup: caller names and transcripts are caller-controlled.
"use strict";

window.Desk = (function () {
  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split("; ")) {
      if (part.startsWith(prefix)) return decodeURIComponent(part.slice(prefix.length));
    }
    return "";
  }

  async function api(method, path, body) {
    const options = { method: method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") options.headers["X-CSRF-Token"] = cookie("ivr_csrf");
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401 && path !== "/api/login") {
      window.location.assign("/login");
      throw new Error("login required");
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) throw new Error((data && data.error) || ("HTTP " + response.status));
    return data;
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text === undefined || text === null || text === "" ? "–" : String(text);
  }

  function time(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return isNaN(date) ? String(iso) : date.toLocaleTimeString();
  }

  // One WebSocket per page, reconnecting with backoff; `onMessage(msg)` gets each JSON message.
  function connect(onMessage, onState) {
    let delay = 500;
    function open() {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(scheme + "//" + window.location.host + "/ws");
      ws.onopen = function () { delay = 500; onState("open"); };
      ws.onmessage = function (event) {
        let msg;
        try { msg = JSON.parse(event.data); } catch (e) { return; }
        onMessage(msg);
      };
      ws.onclose = function () {
        onState("closed");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    open();
  }

  async function logout() {
    try { await api("POST", "/api/logout", {}); } finally { window.location.assign("/login"); }
  }

  return { cookie, api, el, clear, setText, time, connect, logout };
})();
