// Log lines on the page, at thousands a second without freezing it: the server sends
// each frame's lines already coloured (`rows` events: escaped HTML, see render.py); the
// page adds them once a frame, and keeps at most CAP of them — older lines scroll away,
// and a note says how many.

import { atEnd, drawSoon } from "./frames.js";

export const CAP = 5000;

export class LogRows {
  /** `rows`: the element the lines go in; `note`: where the cap is explained;
   *  `scroller`: the element that scrolls (stays at the end while it is there). */
  constructor(rows, note, scroller = rows) {
    this.rows = rows;
    this.note = note;
    this.scroller = scroller;
    this.queued = [];
    this.queuedCount = 0;
    this.shown = 0;
    this.dropped = 0;
    this.paint = () => this.draw();
  }

  clear() {
    this.rows.replaceChildren();
    this.queued = [];
    this.queuedCount = 0;
    this.shown = 0;
    this.dropped = 0;
    this.note.hidden = true;
  }

  /** Add a frame's rows (`html` from the server, `count` rows of it). */
  add(html, count) {
    this.queued.push([html, count]);
    this.queuedCount += count;
    // A hidden tab draws nothing: what could never be shown is not kept either.
    while (this.queuedCount - this.queued[0][1] >= CAP) {
      const [, dropped] = this.queued.shift();
      this.queuedCount -= dropped;
      this.dropped += dropped;
    }
    drawSoon(this.paint);
  }

  draw() {
    if (!this.queued.length) return;
    const follow = atEnd(this.scroller);
    this.rows.insertAdjacentHTML("beforeend", this.queued.map(([html]) => html).join(""));
    this.shown += this.queuedCount;
    this.queued = [];
    this.queuedCount = 0;
    const excess = this.rows.childElementCount - CAP;
    if (excess > 0) {
      const range = document.createRange();
      range.setStartBefore(this.rows.firstElementChild);
      range.setEndAfter(this.rows.children[excess - 1]);
      range.deleteContents();
      this.dropped += excess;
    }
    if (this.dropped) {
      this.note.hidden = false;
      this.note.textContent = `Showing the last ${CAP.toLocaleString("en")} lines: ` +
        `${this.dropped.toLocaleString("en")} earlier lines scrolled away.`;
    }
    if (follow) this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}
