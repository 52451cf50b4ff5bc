// A recording played back with its timing: one the server offers (`--replay FILE`), or
// one dropped on the page (sent as the request's body).

import { openStream } from "./api.js";
import { serverEvents } from "./sse.js";
import { StreamView } from "./stream_view.js";

export class ReplayView {
  constructor(ui) {
    this.ui = ui;
    this.controller = null;
    this.source = null; // {name} or {file}
    ui.again.addEventListener("click", () => this.play());
    ui.speed.addEventListener("change", () => this.play());
  }

  open(source) {
    this.source = source;
    this.ui.title.textContent = source.name || source.file.name;
    return this.play();
  }

  async play() {
    if (!this.source) return;
    this.close();
    const controller = new AbortController();
    this.controller = controller;
    const container = this.ui.stream;
    container.replaceChildren();
    const answer = container.appendChild(document.createElement("div"));
    answer.className = "answer";
    const view = new StreamView(answer, { scroller: container });
    const speed = this.ui.speed.value;
    this.ui.state.textContent = "playing";
    try {
      const init = { signal: controller.signal };
      let path;
      if (this.source.file) {
        path = `/api/replay?${new URLSearchParams({ speed, render: "html" })}`;
        Object.assign(init, { method: "POST", body: this.source.file });
      } else {
        path = `/api/replay?${new URLSearchParams({ file: this.source.name, speed, render: "html" })}`;
      }
      const response = await openStream(path, init);
      for await (const { data } of serverEvents(response)) view.take(data);
      view.end();
      this.ui.state.textContent = "played";
    } catch (error) {
      if (error.name === "AbortError") {
        view.end("(stopped)");
      } else {
        view.take({ type: "error", message: error.message });
        view.end();
        this.ui.state.textContent = "";
      }
    }
  }

  close() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }
}
