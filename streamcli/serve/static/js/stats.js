// A stream's figures, as `streamcli --stats` gives them: time to first token, the
// output counted (the server's tokens once the end says them, chunks until then) and
// its rate, from the events' own clock (`t`, seconds since the stream began).

export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function count(number, unit) {
  return `${number.toLocaleString("en")} ${number === 1 ? unit.replace(/s$/, "") : unit}`;
}

export class StreamStats {
  constructor() {
    this.startT = null;
    this.firstT = null;
    this.lastT = 0;
    this.chunks = 0;
    this.lines = 0;
    this.serverTokens = null;
    this.serverTtft = null;
    this.ended = false;
    this.offset = null; // this page's clock (s) minus the stream's, taken at the first event
  }

  /** Now, on the stream's clock (while it runs, the rate is counted up to now). */
  now() {
    return this.offset === null ? this.lastT : performance.now() / 1000 - this.offset;
  }

  observe(event) {
    const t = typeof event.t === "number" ? event.t : this.lastT;
    if (this.offset === null && typeof event.t === "number") {
      this.offset = performance.now() / 1000 - event.t;
    }
    switch (event.type) {
      case "start":
        this.startT = t;
        break;
      case "text":
      case "reasoning":
      case "line":
        if (event.type === "line") this.lines += 1;
        else this.chunks += 1;
        if (this.firstT === null) this.firstT = t;
        break;
      case "end": {
        const tokens = event.usage && event.usage.output_tokens;
        if (Number.isInteger(tokens)) this.serverTokens = tokens;
        if (typeof event.ttft_ms === "number") this.serverTtft = event.ttft_ms;
        this.ended = true;
        break;
      }
      default:
    }
    if (t > this.lastT) this.lastT = t;
  }

  get ttftMs() {
    if (this.serverTtft !== null) return this.serverTtft;
    return this.firstT === null ? null : (this.firstT - (this.startT || 0)) * 1000;
  }

  get counted() {
    if (this.serverTokens !== null) return [this.serverTokens, "tokens"];
    if (this.lines && !this.chunks) return [this.lines, "lines"];
    return [this.chunks, "chunks"];
  }

  /** The rate: up to the last event once the stream ended, up to now while it runs. */
  perSecond(live = false) {
    if (this.firstT === null) return null;
    const span = (live && !this.ended ? Math.max(this.now(), this.lastT) : this.lastT) - this.firstT;
    return span > 0 ? this.counted[0] / span : null;
  }

  summary(live = false) {
    const [number, unit] = this.counted;
    const ttft = this.ttftMs;
    const parts = [];
    const first = unit === "lines" ? "first line" : "first token";
    parts.push(ttft !== null ? `${first} ${duration(ttft)}` : this.ended ? "no output" : "waiting…");
    if (ttft === null) return parts.join(" · ");
    let counted = count(number, unit);
    if (unit === "tokens" && this.chunks) counted += ` (${count(this.chunks, "chunks")})`;
    parts.push(counted);
    const rate = this.perSecond(live);
    if (rate !== null) parts.push(`${rate.toFixed(1)} ${unit}/s`);
    return parts.join(" · ");
  }
}
