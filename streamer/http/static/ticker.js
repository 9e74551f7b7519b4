// The live ticker: events from /events (Server-Sent Events), newest first. Everything shown
// is set with textContent, never as HTML: a flash that contains markup is shown as text.
"use strict";

const list = document.getElementById("events");
const statusLine = document.getElementById("status");
const box = document.getElementById("filter");
const empty = document.getElementById("empty");
const KEEP = 200;       // events kept on the page
const FIRST = 50;       // events shown on opening
let stream = null;
let lastId = null;      // cursor of the last event received: resume from it
let retryTimer = null;

function setStatus(text, cls) {
  statusLine.textContent = text;
  statusLine.className = "status " + cls;
}

function localTime(iso) {
  const when = new Date(iso);
  return isNaN(when) ? String(iso) : when.toLocaleString();
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function isWebUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url);
}

function show(ev) {
  if (!ev || typeof ev.event_id !== "string" || document.getElementById("e-" + ev.event_id)) {
    return;
  }
  const revised = ev.kind === "revised";
  const item = el("li", "event " + (revised ? "revised" : "new"));
  item.id = "e-" + ev.event_id;

  const meta = el("div", "meta");
  const time = el("time", "", localTime(ev.first_seen));
  time.dateTime = String(ev.first_seen);
  meta.append(time, " · ", el("span", "source", String(ev.source)));
  if (ev.attribution) meta.append(" · ", el("span", "attribution", String(ev.attribution)));
  if (isWebUrl(ev.url)) {
    const page = el("a", "page", "page");
    page.href = ev.url;
    page.rel = "noopener noreferrer";
    meta.append(" · ", page);
  }

  const text = el("p", "text");
  if (revised) text.append(el("span", "badge", "Revised"));
  text.append(document.createTextNode(String(ev.text)));
  item.append(meta, text);

  if (revised && ev.revision_of) {
    const link = el("a", "revision-of",
                    "Revision of: " + (ev.previous_text ? String(ev.previous_text) : "an earlier flash"));
    const original = "e-" + ev.revision_of;
    link.href = document.getElementById(original) ? "#" + original
                                                   : "/events/" + encodeURIComponent(ev.revision_of);
    item.append(link);
  }
  // newest first by first_seen (events of different sites may arrive out of that order)
  const at = Date.parse(ev.first_seen) || 0;
  item.dataset.at = String(at);
  const later = [...list.children].find((li) => Number(li.dataset.at) <= at);
  list.insertBefore(item, later || null);
  while (list.children.length > KEEP) list.lastElementChild.remove();
  empty.hidden = true;
}

function url() {
  const params = new URLSearchParams();
  const words = box.value.trim();
  if (words) params.set("q", words);
  if (lastId) params.set("cursor", lastId); else params.set("last", String(FIRST));
  return "/events?" + params.toString();
}

function connect() {
  clearTimeout(retryTimer);
  if (stream) stream.close();
  stream = new EventSource(url());
  const receive = (msg) => {
    lastId = msg.lastEventId || lastId;
    try { show(JSON.parse(msg.data)); } catch (err) { console.error("bad event", err); }
  };
  stream.addEventListener("new", receive);
  stream.addEventListener("revised", receive);
  stream.onopen = () => setStatus("live", "live");
  stream.onerror = () => {
    // The browser reconnects by itself (sending Last-Event-ID) unless the stream is closed,
    // e.g. after an error status: then reconnect here, from the last event received.
    if (stream.readyState === EventSource.CLOSED) {
      setStatus("reconnecting…", "down");
      retryTimer = setTimeout(connect, 2000);
    } else {
      setStatus("reconnecting…", "down");
    }
  };
}

let typing = null;
box.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    list.replaceChildren();
    empty.hidden = false;
    lastId = null;
    connect();
  }, 300);
});
document.getElementById("filter-form").addEventListener("submit", (e) => e.preventDefault());
connect();
