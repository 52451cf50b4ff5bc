// Server-sent events read from a fetch() response (EventSource cannot POST): the
// stream's bytes decoded as UTF-8, split into events at blank lines, as the SSE
// specification says (CR, LF or CRLF line ends; `:` comments ignored; several `data:`
// lines joined by newlines).

/** Yields `{type, data, id}` for each event of `response`'s body, parsed as JSON. */
export async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let event = blank();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A CR at the very end may be half of a CRLF: it waits for the next bytes.
      const held = !done && buffered.endsWith("\r") ? "\r" : "";
      const lines = buffered.slice(0, buffered.length - held.length).split(/\r\n|\r|\n/);
      buffered = done ? "" : lines.pop() + held; // the last piece is an unfinished line
      const ready = [];
      for (const line of lines) {
        if (line === "") {
          if (event.data.length) ready.push(finish(event));
          event = blank();
        } else if (!line.startsWith(":")) {
          field(event, line);
        }
      }
      for (const item of ready) yield item;
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

function blank() {
  return { type: "message", data: [], id: null };
}

function field(event, line) {
  const colon = line.indexOf(":");
  const name = colon < 0 ? line : line.slice(0, colon);
  let value = colon < 0 ? "" : line.slice(colon + 1);
  if (value.startsWith(" ")) value = value.slice(1);
  if (name === "data") event.data.push(value);
  else if (name === "event") event.type = value;
  else if (name === "id") event.id = value;
}

function finish(event) {
  const text = event.data.join("\n");
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = { type: "error", kind: "protocol", message: "the server sent an event that is not JSON" };
  }
  return { type: event.type, data, id: event.id };
}
