// Calls to this service with readable failures: never a blank page, always a sentence to show.
import { t } from "./i18n.js";

export class ServiceError extends Error {
  /** status 0 = the service could not be reached; fields = the 4xx body's [{field, problem}]. */
  constructor(message, status = 0, body = null) {
    super(message);
    this.name = "ServiceError";
    this.status = status;
    this.body = body;
    this.fields = Array.isArray(body?.fields) ? body.fields : [];
  }
}

async function send(url, options) {
  let response;
  try {
    response = await fetch(url, { ...options, headers: { Accept: "application/json", ...(options?.headers || {}) } });
  } catch {
    throw new ServiceError(t("error.network"));
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && typeof body.message === "string" ? body.message : t("error.status", { status: response.status });
    throw new ServiceError(message, response.status, body);
  }
  if (body === null) throw new ServiceError(t("error.status", { status: response.status }), response.status);
  return body;
}

export function getJSON(url) {
  return send(url, { method: "GET" });
}

export function postJSON(url, payload) {
  return send(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
}
