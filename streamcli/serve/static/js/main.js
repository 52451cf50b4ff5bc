// The live page: what the server offers (/api/info), the views (a chat, a followed log,
// a replayed recording), which one the address names (#/, #/chat/N, #/tail/NAME,
// #/replay/NAME: a reload comes back to it), the history list, and dropped recordings.

import { getJson } from "./api.js";
import { Chat } from "./chat.js";
import { ReplayView } from "./replay_view.js";
import { shown } from "./shown.js";
import { TailView } from "./tail_view.js";

const $ = (id) => document.getElementById(id);

const views = { chat: $("chat-view"), tail: $("log-view"), replay: $("replay-view") };
let offered = { tails: [], recordings: [], history: false };

const chat = new Chat(
  {
    transcript: $("transcript"),
    form: $("composer"),
    message: $("message"),
    model: $("model"),
    send: $("send"),
    stop: $("stop"),
    stats: $("stats"),
    title: $("chat-title"),
  },
  {
    onStarted: (number) => {
      history.replaceState(null, "", `#/chat/${number}`);
      markCurrent();
    },
    onChanged: () => refreshHistory(),
  },
);
const tail = new TailView({ title: $("log-title"), state: $("log-state"), cap: $("log-cap"), rows: $("log-rows") });
const replay = new ReplayView({
  title: $("replay-title"),
  state: $("replay-state"),
  stream: $("replay-stream"),
  speed: $("replay-speed"),
  again: $("replay-again"),
});

function link(href, text, className) {
  const item = document.createElement("li");
  const anchor = item.appendChild(document.createElement("a"));
  anchor.href = href;
  anchor.textContent = shown(text);
  if (className) anchor.className = className;
  return item;
}

function show(name) {
  for (const [key, view] of Object.entries(views)) view.hidden = key !== name;
  if (name !== "tail") tail.close();
  if (name !== "replay") replay.close();
  markCurrent();
  closeSide();
}

/** The side's link to what is shown says so (`aria-current`). */
function markCurrent() {
  for (const anchor of document.querySelectorAll("#side a")) {
    const current = anchor.getAttribute("href") === (location.hash || "#/");
    if (current) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

function route() {
  const [, kind, rest] = /^#\/([a-z]*)\/?(.*)$/.exec(location.hash) || [null, "", ""];
  const name = decodeURIComponent(rest || "");
  if (kind === "tail" && name) {
    show("tail");
    tail.open(name);
  } else if (kind === "replay" && name) {
    show("replay");
    replay.open({ name });
  } else {
    show("chat");
    const number = kind === "chat" && /^\d+$/.test(name) ? parseInt(name, 10) : null;
    chat.open(number);
  }
}

let refreshing = null;
let refreshAgain = false;

async function refreshHistory() {
  if (!offered.history) return;
  if (refreshing) {
    refreshAgain = true; // what changed meanwhile is fetched once this one is done
    return;
  }
  refreshing = (async () => {
    try {
      const { conversations } = await getJson("/api/history");
      const list = $("history-list");
      list.replaceChildren(
        ...conversations.map((c) => {
          const item = link(`#/chat/${c.id}`, c.first_prompt.trim().slice(0, 80) || `Conversation ${c.id}`);
          const when = item.appendChild(document.createElement("time"));
          when.dateTime = new Date(c.updated * 1000).toISOString();
          when.textContent = new Date(c.updated * 1000).toLocaleString();
          if (c.status === "interrupted" || c.status === "running") {
            item.firstChild.append(` (${c.status})`);
          }
          return item;
        }),
      );
      markCurrent();
      // An answer still being saved (the server writes the history after the stream's
      // end), still running elsewhere, or a new conversation whose first exchange is not
      // written yet (it has its number before): look again in a moment.
      const now = Date.now() / 1000;
      const begun = (c) => c.exchanges === 0 && now - c.updated < 60;
      if (conversations.some((c) => c.status === "running" || begun(c))) {
        setTimeout(refreshHistory, 1000);
      }
    } catch {
      // the list stays as it was; the next change asks again
    } finally {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refreshHistory();
      }
    }
  })();
}

async function start() {
  try {
    offered = await getJson("/api/info");
  } catch (error) {
    $("backend").textContent = `The server did not answer: ${error.message}`;
    route();
    return;
  }
  $("backend").textContent = [offered.provider, offered.model].filter(Boolean).join(" · ");
  const tails = offered.tails.map((name) => link(`#/tail/${encodeURIComponent(name)}`, name));
  $("tail-links").replaceChildren(...tails);
  $("logs-section").hidden = !tails.length;
  const recordings = offered.recordings.map((name) => link(`#/replay/${encodeURIComponent(name)}`, name));
  $("recording-links").replaceChildren(...recordings);
  $("history-section").hidden = !offered.history;
  $("no-history").hidden = offered.history;
  route();
  refreshHistory();
  try {
    const models = await getJson("/v1/models");
    $("models").replaceChildren(
      ...models.data.map((model) => Object.assign(document.createElement("option"), { value: model.id })),
    );
  } catch {
    // no list: any name can still be typed
  }
}

function openSide(open) {
  $("side").classList.toggle("open", open);
  $("toggle-side").setAttribute("aria-expanded", String(open));
}

function closeSide() {
  if ($("side").classList.contains("open")) openSide(false);
}

$("toggle-side").addEventListener("click", () => openSide(!$("side").classList.contains("open")));
$("new-chat").addEventListener("click", (event) => {
  if (location.hash === "#/" || location.hash === "") {
    event.preventDefault();
    chat.open(null);
    show("chat");
  }
  $("message").focus();
});
$("main").addEventListener("click", closeSide); // a tap beside the open side folds it
window.addEventListener("hashchange", route);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    if ($("side").classList.contains("open")) closeSide();
    else if (chat.streaming && !views.chat.hidden) chat.stop();
  }
});

function playFile(file) {
  if (!file) return;
  history.pushState(null, "", "#/replay");
  show("replay");
  replay.open({ file });
}

$("recording-file").addEventListener("change", (event) => {
  playFile(event.target.files[0]);
  event.target.value = "";
});
let dragging = 0;
document.addEventListener("dragenter", (event) => {
  if (!event.dataTransfer || !event.dataTransfer.types.includes("Files")) return;
  dragging += 1;
  $("drop").hidden = false;
});
document.addEventListener("dragleave", () => {
  dragging = Math.max(0, dragging - 1);
  if (!dragging) $("drop").hidden = true;
});
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  dragging = 0;
  $("drop").hidden = true;
  playFile(event.dataTransfer && event.dataTransfer.files[0]);
});

start();
