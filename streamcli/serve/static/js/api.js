// The server's API, same origin (the page's session cookie goes along).

export class ApiError extends Error {}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch {
    // not JSON: the status says it
  }
  return new ApiError(message);
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function postJson(path, body, options = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...options,
  });
  if (!response.ok) throw await failure(response);
  return response;
}

/** A stream of events: the response, once its status is known to be good. */
export async function openStream(path, init = {}) {
  const response = await fetch(path, { headers: { accept: "text/event-stream" }, ...init });
  if (!response.ok) throw await failure(response);
  return response;
}
