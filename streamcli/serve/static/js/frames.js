// One drawing pass per animation frame: whatever asked to be drawn since the last
// frame is drawn once, however many events arrived in between.

const waiting = new Set();
let requested = false;

function drawAll() {
  requested = false;
  const painters = [...waiting];
  waiting.clear();
  for (const paint of painters) {
    try {
      paint();
    } catch (error) {
      console.error(error); // eslint-disable-line no-console
    }
  }
}

/** Call `paint` once at the next frame (asking twice before it is one call). */
export function drawSoon(paint) {
  waiting.add(paint);
  if (!requested) {
    requested = true;
    requestAnimationFrame(drawAll);
  }
}

/** Whether `element` is scrolled to (about) its end. */
export function atEnd(element) {
  return element.scrollHeight - element.scrollTop - element.clientHeight < 24;
}
