// A `--tail` file, followed live: its last lines, then every line appended (through
// rotation and truncation, as `streamcli tail` follows it), coloured on the server.

import { openStream } from "./api.js";
import { LogRows } from "./logs.js";
import { shown } from "./shown.js";
import { serverEvents } from "./sse.js";

const BACKLOG = 200; // lines shown from before the view was opened

export class TailView {
  constructor(ui) {
    this.ui = ui;
    this.logs = new LogRows(ui.rows, ui.cap);
    this.controller = null;
  }

  async open(name) {
    this.close();
    const controller = new AbortController();
    this.controller = controller;
    this.ui.title.textContent = name;
    this.logs.clear();
    this.ui.state.textContent = "opening…";
    const query = new URLSearchParams({ file: name, lines: String(BACKLOG), render: "html" });
    try {
      const response = await openStream(`/api/tail?${query}`, { signal: controller.signal });
      this.ui.state.textContent = "following";
      for await (const { data } of serverEvents(response)) {
        if (data.type === "rows") this.logs.add(data.html, data.count || 1);
        else if (data.type === "error") this.ui.state.textContent = shown(data.message);
        else if (data.type === "end" && data.reason !== "error") this.ui.state.textContent = "ended";
      }
    } catch (error) {
      if (error.name !== "AbortError") this.ui.state.textContent = error.message;
    }
  }

  close() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }
}
