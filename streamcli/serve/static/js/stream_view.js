// One stream drawn on the page — an answer, a replayed recording — from streamcli's
// events as the terminal draws them: the answer's finished Markdown blocks (rendered
// once, on the server) and its live block (redrawn at most once a frame), reasoning
// dimmed, a spinner per running tool then ✓/✗ with its duration, the approval question,
// log rows, errors, and a note when it ended early.

import { element } from "./dom.js";
import { atEnd, drawSoon } from "./frames.js";
import { liveNodes } from "./live_markdown.js";
import { shown } from "./shown.js";
import { LogRows } from "./logs.js";
import { StreamStats, duration } from "./stats.js";

const END_NOTES = {
  interrupted: "(interrupted)",
  length: "(the answer was cut off: the output limit was reached)",
};
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g; // eslint-disable-line no-control-regex

export class StreamView {
  /** `answer`: the element to draw in; `scroller`: the element that scrolls;
   *  `onApprove(id, approve)`: answers an approval (a promise);
   *  `onStats(text)`: the figures, once a frame. */
  constructor(answer, { scroller, onApprove = null, onStats = null } = {}) {
    this.answer = answer;
    this.scroller = scroller || answer;
    this.onApprove = onApprove;
    this.onStats = onStats;
    this.stats = new StreamStats();
    this.parts = new Map(); // the answer's text between tool calls, by `part` number
    this.partNumber = 0; // tool calls so far: the server numbers its blocks' parts so
    this.tools = new Map();
    this.reasoning = null;
    this.reasoningText = "";
    this.terminal = null; // a terminal recording's text (asciicast, plain text)
    this.terminalText = "";
    this.logs = null;
    this.streaming = true;
    this.answered = false;
    this.paint = () => this.draw();
    this.answer.setAttribute("aria-busy", "true");
    // the rate goes on being counted while nothing arrives
    this.ticker = onStats ? setInterval(() => onStats(this.stats.summary(true)), 500) : null;
  }

  /** Take one of the stream's events. */
  take(event) {
    this.stats.observe(event);
    const handle = this[`on_${event.type}`];
    if (handle) handle.call(this, event);
    drawSoon(this.paint);
  }

  on_start(event) {
    if (event.format) this.terminal = this.answer.appendChild(element("pre", "terminal"));
  }

  on_text(event) {
    this.answered = true;
    if (this.terminal) {
      this.terminalText += event.text;
      return;
    }
    const part = this.part(this.partNumber);
    part.pending += event.text;
    part.changed = true;
  }

  on_block(event) {
    const part = this.part(event.part);
    part.html.push(event.html);
    part.pending = part.pending.slice(event.length);
    part.changed = true;
  }

  on_reasoning(event) {
    if (!this.reasoning) {
      this.reasoning = this.answer.appendChild(element("details", "reasoning"));
      this.reasoning.append(element("summary", "", "Thinking"), element("div", "reasoning-text"));
    }
    this.reasoningText += event.text;
  }

  on_tool_start(event) {
    this.partNumber += 1;
    const row = this.answer.appendChild(element("div", "tool running"));
    row.append(
      element("span", "spinner", ""),
      element("span", "tool-name", event.server ? `${event.server} › ${event.name}` : event.name),
      element("span", "tool-args", summary(event.arguments)),
      element("span", "tool-progress"),
    );
    row.firstChild.setAttribute("aria-hidden", "true");
    row.setAttribute("aria-label", `${event.name}: running`);
    this.tools.set(event.id, row);
  }

  on_tool_progress(event) {
    const row = this.tools.get(event.id);
    if (row) row.querySelector(".tool-progress").textContent = shown(event.message);
  }

  on_tool_end(event) {
    const row = this.tools.get(event.id);
    if (!row) return;
    row.className = `tool ${event.ok ? "ok" : "failed"}`;
    row.firstChild.textContent = event.ok ? "✓" : "✗";
    row.querySelector(".tool-progress").textContent = duration(event.duration_ms || 0);
    row.setAttribute("aria-label", shown(`${event.name}: ${event.ok ? "done" : "failed"}`));
    if (event.output) {
      const details = row.appendChild(element("details", "tool-output"));
      details.append(element("summary", "", "output"), element("pre", "", event.output));
    }
  }

  on_approval(event) {
    const box = this.answer.appendChild(element("div", "approval"));
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", `Run the tool ${event.name}?`);
    const asked = box.appendChild(element("p"));
    asked.append("Run the tool ", element("strong", "", event.name),
      event.server ? ` of the MCP server ${event.server}?` : "?");
    box.append(element("pre", "arguments", JSON.stringify(event.arguments, null, 2)));
    if (event.what) box.append(element("pre", "what", event.what));
    const approve = box.appendChild(element("button", "approve", "Approve"));
    const deny = box.appendChild(element("button", "deny", "Deny"));
    const said = box.appendChild(element("p", "said"));
    said.setAttribute("aria-live", "polite");
    const answer = async (approved) => {
      approve.disabled = deny.disabled = true;
      try {
        await this.onApprove(event.id, approved);
        said.textContent = approved ? "Approved." : "Denied.";
        approve.remove();
        deny.remove();
      } catch (error) {
        said.textContent = `Not answered: ${error.message}`;
        approve.disabled = deny.disabled = false;
      }
    };
    approve.type = deny.type = "button";
    approve.addEventListener("click", () => answer(true));
    deny.addEventListener("click", () => answer(false));
    approve.focus({ preventScroll: true });
  }

  on_rows(event) {
    if (!this.logs) {
      const note = this.answer.appendChild(element("p", "cap"));
      note.hidden = true;
      const rows = this.answer.appendChild(element("div", "rows"));
      this.logs = new LogRows(rows, note, this.scroller);
    }
    this.logs.add(event.html, event.count || 1);
  }

  on_error(event) {
    const said = this.answer.appendChild(element("p", "error", event.message || "error"));
    said.setAttribute("role", "alert");
  }

  on_end(event) {
    const note = END_NOTES[event.reason] ||
      (event.reason === "stop" && !this.answered && !this.logs ? "(empty answer)" : null);
    this.end(note);
  }

  /** The stream is over (with `note`, e.g. "(interrupted)", when it ended early). */
  end(note = null) {
    if (!this.streaming) return;
    this.streaming = false;
    clearInterval(this.ticker);
    if (note) this.answer.append(element("p", "end-note", note));
    this.answer.setAttribute("aria-busy", "false");
    for (const part of this.parts.values()) part.changed = true;
    drawSoon(this.paint);
  }

  /** The answer's text after `number` tool calls (made when its first text comes). */
  part(number) {
    let part = this.parts.get(number);
    if (!part) {
      const box = this.answer.appendChild(element("div", "md part"));
      const done = box.appendChild(element("div", "done"));
      const live = box.appendChild(element("div", "live"));
      part = { box, done, live, html: [], pending: "", changed: false };
      this.parts.set(number, part);
    }
    return part;
  }

  draw() {
    const follow = atEnd(this.scroller);
    const current = this.parts.get(this.partNumber);
    for (const part of this.parts.values()) {
      if (!part.changed) continue;
      part.changed = false;
      if (part.html.length) {
        part.done.insertAdjacentHTML("beforeend", part.html.join(""));
        part.html = [];
      }
      const nodes = liveNodes(part.pending);
      if (this.streaming && part === current) withCursor(nodes);
      part.live.replaceChildren(...nodes);
    }
    if (this.reasoning && this.reasoningText) {
      this.reasoning.lastChild.append(this.reasoningText);
      this.reasoningText = "";
    }
    if (this.terminal && this.terminalText) {
      this.terminal.append(this.terminalText.replace(ANSI, "").replace(/\r\n/g, "\n"));
      this.terminalText = "";
    }
    if (this.onStats) this.onStats(this.stats.summary(this.streaming));
    if (follow) this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}

function withCursor(nodes) {
  const cursor = element("span", "cursor", "▋");
  cursor.setAttribute("aria-hidden", "true");
  let last = nodes[nodes.length - 1];
  if (!last || last.tagName === "TABLE" || last.tagName === "HR") {
    nodes.push(cursor);
    return;
  }
  while (["UL", "OL", "BLOCKQUOTE", "PRE"].includes(last.tagName) && last.lastElementChild) {
    last = last.lastElementChild;
  }
  last.append(cursor);
}

function summary(argumentsObject) {
  const text = JSON.stringify(argumentsObject || {});
  return text === "{}" ? "" : text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

