// Making the page's elements: text is only ever set as text, never parsed as HTML.

/** A new `tag` element, with `className` and `text` when given. */
export function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}
