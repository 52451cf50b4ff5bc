// The unfinished end of an answer (the live block), drawn while it streams. Finished
// blocks come from the server already rendered (markdown-it + Pygments); only this
// short tail is drawn here, at most once a frame, with DOM nodes and text only — never
// parsed as HTML, so nothing in it can become markup, a link or a script.

import { element } from "./dom.js";
import { shown } from "./shown.js";

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t:|-]*-[ \t:|-]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([^*]*?[^\s*])\*|~~(?=\S)([\s\S]*?\S)~~/g;

/** Nodes showing `source` (Markdown, untrusted) roughly as it will look when finished. */
export function liveNodes(source) {
  const lines = shown(source).split("\n");
  const nodes = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (!line.trim()) {
      index += 1;
      continue;
    }
    const drawn = fence(lines, index) || heading(lines, index) || rule(lines, index) ||
      table(lines, index) || list(lines, index) || quote(lines, index) || paragraph(lines, index);
    nodes.push(drawn.node);
    index = drawn.next;
  }
  return nodes;
}

/** Text with `code`, **strong**, *em* and ~~strike~~ marked (as text nodes and elements). */
export function inline(text, parent) {
  let at = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > at) parent.append(text.slice(at, match.index));
    const [, ticks, code, strong, strong2, em, strike] = match;
    let made;
    if (ticks) {
      made = element("code");
      made.textContent = code.replace(/^ (.+) $/, "$1");
    } else {
      made = element(strike !== undefined ? "del" : strong || strong2 ? "strong" : "em");
      inline(strong || strong2 || em || strike, made);
    }
    parent.append(made);
    at = match.index + match[0].length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

function withBreaks(lines, parent) {
  lines.forEach((line, number) => {
    if (number) parent.append(element("br"));
    inline(line.trim(), parent);
  });
}

function fence(lines, start) {
  const opened = FENCE.exec(lines[start]);
  if (!opened) return null;
  const marker = opened[1];
  const closing = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}[ \\t]*$`);
  let end = start + 1;
  while (end < lines.length && !closing.test(lines[end])) end += 1;
  const pre = element("pre");
  const code = element("code");
  code.textContent = lines.slice(start + 1, end).join("\n");
  pre.append(code);
  return { node: pre, next: end + 1 };
}

function heading(lines, start) {
  const found = HEADING.exec(lines[start]);
  if (!found) return null;
  const made = element(`h${found[1].length}`);
  inline(found[2] || "", made);
  return { node: made, next: start + 1 };
}

function rule(lines, start) {
  return RULE.test(lines[start]) ? { node: element("hr"), next: start + 1 } : null;
}

function cells(line) {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|");
}

function table(lines, start) {
  const header = lines[start];
  const delimiter = lines[start + 1];
  if (!header.includes("|") || delimiter === undefined || !TABLE_DELIMITER.test(delimiter)) {
    return null;
  }
  const made = element("table");
  const head = made.createTHead().insertRow();
  for (const cell of cells(header)) inline(cell.trim(), head.appendChild(element("th")));
  const body = made.createTBody();
  let end = start + 2;
  for (; end < lines.length && lines[end].trim() && lines[end].includes("|"); end += 1) {
    const row = body.insertRow();
    for (const cell of cells(lines[end])) inline(cell.trim(), row.insertCell());
  }
  return { node: made, next: end };
}

function list(lines, start) {
  const first = ITEM.exec(lines[start]);
  if (!first) return null;
  const ordered = /\d/.test(first[1]);
  const made = element(ordered ? "ol" : "ul");
  if (ordered && parseInt(first[1], 10) !== 1) made.start = parseInt(first[1], 10);
  let item = null;
  let end = start;
  for (; end < lines.length && lines[end].trim(); end += 1) {
    const found = ITEM.exec(lines[end]);
    if (found || !item) {
      item = made.appendChild(element("li"));
      inline(found ? found[2] : lines[end].trim(), item);
    } else {
      item.append(element("br"));
      inline(lines[end].trim(), item);
    }
  }
  return { node: made, next: end };
}

function quote(lines, start) {
  if (!QUOTE.test(lines[start])) return null;
  let end = start;
  const quoted = [];
  for (; end < lines.length && lines[end].trim(); end += 1) {
    const found = QUOTE.exec(lines[end]);
    quoted.push(found ? found[1] : lines[end]);
  }
  const made = element("blockquote");
  const paragraph = made.appendChild(element("p"));
  withBreaks(quoted, paragraph);
  return { node: made, next: end };
}

function paragraph(lines, start) {
  let end = start;
  while (end < lines.length && lines[end].trim() && (end === start || !startsBlock(lines[end]))) {
    end += 1;
  }
  const made = element("p");
  withBreaks(lines.slice(start, end), made);
  return { node: made, next: end };
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || ITEM.test(line) || QUOTE.test(line);
}
