// The chat: the conversation so far (from the history), a question sent, its answer
// streamed in, Stop (the request aborted: the server cancels upstream, the history keeps
// the partial answer as interrupted), the figures live and at the end.

import { element } from "./dom.js";
import { shown } from "./shown.js";
import { getJson, openStream, postJson } from "./api.js";
import { serverEvents } from "./sse.js";
import { StreamView } from "./stream_view.js";

const END_NOTES = { interrupted: "(interrupted)", failed: "(failed)", running: "(running)" };

export class Chat {
  /** `ui`: the chat view's elements; `onStarted(number)`: a new conversation has its
   *  number (the address follows); `onChanged()`: the history has changed. */
  constructor(ui, { onStarted, onChanged }) {
    this.ui = ui;
    this.onStarted = onStarted;
    this.onChanged = onChanged;
    this.conversation = null;
    this.running = null; // {controller, view}
    this.loading = 0;
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendTyped();
    });
    ui.message.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendTyped();
      }
    });
    ui.message.addEventListener("input", () => {
      sessionStorage.setItem("streamcli.draft", ui.message.value);
    });
    ui.message.value = sessionStorage.getItem("streamcli.draft") || "";
    ui.stop.addEventListener("click", () => this.stop());
    ui.model.value = localStorage.getItem("streamcli.model") || "";
    ui.model.addEventListener("change", () => {
      localStorage.setItem("streamcli.model", ui.model.value.trim());
    });
  }

  get streaming() {
    return this.running !== null;
  }

  /** Show conversation `number` (null: a new chat). */
  async open(number) {
    if (number === this.conversation && (number !== null || !this.streaming)) return;
    this.stop();
    this.conversation = number;
    const loading = ++this.loading;
    this.ui.transcript.replaceChildren();
    this.ui.stats.textContent = "";
    this.ui.title.textContent = number === null ? "New chat" : `Conversation ${number}`;
    if (number !== null) await this.load(number, loading);
  }

  /** Show the conversation as the history has it (again, while its last answer is
   *  still being saved: the server writes it just after the stream's end). */
  async load(number, loading, tries = 10) {
    try {
      const found = await getJson(`/api/history/${number}?render=html`);
      if (loading !== this.loading) return;
      this.ui.transcript.replaceChildren();
      if (found.exchanges.length) this.title(found.exchanges[0].prompt);
      for (const exchange of found.exchanges) this.showExchange(exchange);
      this.ui.transcript.scrollTop = this.ui.transcript.scrollHeight;
      const last = found.exchanges[found.exchanges.length - 1];
      if (last && last.status === "running" && tries > 1) {
        setTimeout(() => {
          if (loading === this.loading && !this.streaming) this.load(number, loading, tries - 1);
        }, 500);
      }
    } catch (error) {
      if (loading !== this.loading) return;
      this.ui.transcript.append(element("p", "error", `Cannot open it: ${error.message}`));
    }
  }

  showExchange(exchange) {
    const box = this.ui.transcript.appendChild(element("article", "exchange"));
    box.append(element("div", "prompt", exchange.prompt));
    const answer = box.appendChild(element("div", "answer"));
    for (const message of exchange.messages || []) {
      if (message.role !== "tool") continue;
      const row = answer.appendChild(element("div", `tool ${message.ok === false ? "failed" : "ok"}`));
      row.append(element("span", "spinner", message.ok === false ? "✗" : "✓"),
        element("span", "tool-name", message.name || "tool"));
    }
    const text = answer.appendChild(element("div", "md part"));
    text.insertAdjacentHTML("beforeend", exchange.html || "");
    const note = END_NOTES[exchange.status];
    if (note) answer.append(element("p", "end-note", exchange.error ? `${note} ${exchange.error}` : note));
  }

  sendTyped() {
    const prompt = this.ui.message.value;
    if (!prompt.trim() || this.streaming) return;
    this.ui.message.value = "";
    sessionStorage.removeItem("streamcli.draft");
    this.send(prompt);
  }

  /** The view's heading: the conversation's first question (its start). */
  title(prompt) {
    const line = prompt.trim().split("\n")[0];
    this.ui.title.textContent = shown(line.length > 80 ? `${line.slice(0, 79)}…` : line);
  }

  async send(prompt) {
    if (this.conversation === null) this.title(prompt);
    const box = this.ui.transcript.appendChild(element("article", "exchange"));
    box.append(element("div", "prompt", prompt));
    const answer = box.appendChild(element("div", "answer"));
    const view = new StreamView(answer, {
      scroller: this.ui.transcript,
      onApprove: (id, approve) => postJson("/api/approve", { id, approve }),
      onStats: (text) => { this.ui.stats.textContent = text; },
    });
    const controller = new AbortController();
    const running = { controller, view };
    this.running = running;
    this.showRunning(true);
    this.ui.transcript.scrollTop = this.ui.transcript.scrollHeight;
    const body = { prompt };
    const model = this.ui.model.value.trim();
    if (model) body.model = model;
    if (this.conversation !== null) body.conversation = this.conversation;
    try {
      const response = await openStream("/api/chat?render=html", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const number = parseInt(response.headers.get("x-conversation"), 10);
      if (Number.isInteger(number) && number !== this.conversation) {
        this.conversation = number;
        this.onStarted(number);
      }
      for await (const item of serverEvents(response)) view.take(item.data);
      view.end(view.streaming ? "(the stream ended without its end event)" : null);
    } catch (error) {
      if (error.name === "AbortError") view.end("(interrupted)");
      else {
        view.take({ type: "error", message: error.message });
        view.end();
      }
    } finally {
      if (this.running === running) {
        this.running = null;
        this.showRunning(false);
        this.onChanged();
      }
    }
  }

  /** Stop the answer now: the request is aborted (the server cancels upstream). */
  stop() {
    if (!this.running) return;
    const { controller, view } = this.running;
    this.running = null;
    controller.abort();
    view.end("(interrupted)");
    this.showRunning(false);
    this.onChanged();
  }

  showRunning(running) {
    const hadFocus = document.activeElement === this.ui.stop;
    this.ui.stop.hidden = !running;
    this.ui.send.hidden = running;
    if (running) return;
    if (hadFocus) this.ui.message.focus();
  }
}
