// Making the page's elements: text is only ever set as text, never parsed as HTML, and
// shown as the terminal shows it (`shown`: invisible and bidirectional characters as
// escapes).

import { shown } from "./shown.js";

/** A new `tag` element, with `className` and `text` when given. */
export function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = shown(String(text));
  return made;
}
