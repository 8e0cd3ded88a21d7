// SMART App Launch (EHR launch) for the taper planner: discovery, authorization with PKCE (S256),
// token exchange, and writing the plan's MedicationRequest to the EHR's FHIR server.
//
// Kept apart from the page: every function takes what it needs (fetch, storage, crypto) as
// arguments, so the pure parts can be tested without an EHR. Tokens stay in memory; only the PKCE
// verifier and the endpoints wait in sessionStorage during the redirect, under the random `state`.

export class SmartError extends Error {
  constructor(message) {
    super(message);
    this.name = "SmartError";
  }
}

const STORAGE_PREFIX = "bzra-cds.smart.";

/** base64url without padding (RFC 4648 §5), as PKCE and JWTs use it. */
export function base64url(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomString(byteCount = 32, cryptoImpl = globalThis.crypto) {
  return base64url(cryptoImpl.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 code challenge of a PKCE verifier (RFC 7636 §4.2). */
export async function pkceChallenge(verifier, cryptoImpl = globalThis.crypto) {
  if (!cryptoImpl?.subtle) throw new SmartError("this browser cannot compute a PKCE challenge here (a secure context, https, is needed)");
  const digest = await cryptoImpl.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(digest);
}

/** Only https servers, or http on this computer (local test EHRs). */
export function checkServerUrl(value, name = "iss") {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new SmartError(`${name} is not a URL: ${value}`);
  }
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) throw new SmartError(`${name} must use https: ${value}`);
  return url.href.replace(/\/+$/, "");
}

/** The EHR's SMART configuration (`{iss}/.well-known/smart-configuration`). */
export async function discover(iss, fetchImpl = fetch) {
  const base = checkServerUrl(iss);
  let response;
  try {
    response = await fetchImpl(`${base}/.well-known/smart-configuration`, { headers: { Accept: "application/json" } });
  } catch {
    throw new SmartError(`the EHR's SMART configuration could not be read from ${base}`);
  }
  if (!response.ok) throw new SmartError(`the EHR's SMART configuration could not be read (HTTP ${response.status})`);
  const config = await response.json();
  if (!config.authorization_endpoint || !config.token_endpoint) {
    throw new SmartError("the EHR's SMART configuration names no authorization_endpoint or token_endpoint");
  }
  const methods = config.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes("S256")) throw new SmartError("the EHR does not support PKCE with S256");
  checkServerUrl(config.authorization_endpoint, "authorization_endpoint");
  checkServerUrl(config.token_endpoint, "token_endpoint");
  return config;
}

/** The authorization request URL of the EHR launch. */
export function authorizeUrl({ authorizationEndpoint, clientId, redirectUri, scope, state, launch, aud, challenge }) {
  const url = new URL(authorizationEndpoint);
  const params = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    aud,
    code_challenge: challenge,
    code_challenge_method: "S256",
  };
  if (launch) params.launch = launch;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

/**
 * Step 1 (the page was opened with ?iss=...&launch=...): discover, remember the verifier under a
 * new state, and return the URL to send the browser to.
 */
export async function beginLaunch({ iss, launch, clientId, scope, redirectUri, storage = sessionStorage, fetchImpl = fetch, cryptoImpl = globalThis.crypto }) {
  if (!clientId) throw new SmartError("no SMART client id is configured (BZRA_SMART_CLIENT_ID)");
  const aud = checkServerUrl(iss);
  const config = await discover(aud, fetchImpl);
  const state = randomString(16, cryptoImpl);
  const verifier = randomString(32, cryptoImpl);
  const challenge = await pkceChallenge(verifier, cryptoImpl);
  storage.setItem(
    STORAGE_PREFIX + state,
    JSON.stringify({ iss: aud, tokenEndpoint: config.token_endpoint, verifier, clientId, redirectUri }),
  );
  return authorizeUrl({ authorizationEndpoint: config.authorization_endpoint, clientId, redirectUri, scope, state, launch, aud, challenge });
}

/** The plan parameters in a token response's `appContext` (a JSON object, as a string or already parsed). */
export function parseAppContext(value) {
  if (!value) return null;
  if (typeof value === "object") return value;
  try {
    const parsed = JSON.parse(value);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Step 2 (the EHR sent the browser back with ?code=...&state=...): exchange the code for a token.
 * Returns the session: {iss, accessToken, patient, appContext, scope}.
 */
export async function completeLaunch({ code, state, storage = sessionStorage, fetchImpl = fetch }) {
  const key = STORAGE_PREFIX + state;
  const saved = storage.getItem(key);
  storage.removeItem(key); // a state is used once
  if (!saved) throw new SmartError("this sign-in does not match a launch of this page (unknown state); launch the planner again from the EHR");
  const { iss, tokenEndpoint, verifier, clientId, redirectUri } = JSON.parse(saved);
  const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier });
  let response;
  try {
    response = await fetchImpl(tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: body.toString(),
    });
  } catch {
    throw new SmartError("the EHR's token endpoint could not be reached");
  }
  const token = await response.json().catch(() => ({}));
  if (!response.ok || !token.access_token) {
    throw new SmartError(token.error_description || token.error || `the token request failed (HTTP ${response.status})`);
  }
  return {
    iss,
    accessToken: token.access_token,
    patient: token.patient || null,
    appContext: parseAppContext(token.appContext),
    scope: token.scope || "",
  };
}

/** The resource to write: the plan's MedicationRequest, for the launch patient. */
export function planForPatient(medicationRequest, patient) {
  if (!patient) throw new SmartError("the EHR gave no patient with the launch");
  return { ...medicationRequest, subject: { reference: `Patient/${patient}` } };
}

/** POST the plan to `{iss}/MedicationRequest`; returns "MedicationRequest/{id}" (or the Location). */
export async function writeMedicationRequest(session, medicationRequest, fetchImpl = fetch) {
  const resource = planForPatient(medicationRequest, session.patient);
  let response;
  try {
    response = await fetchImpl(`${session.iss}/MedicationRequest`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${session.accessToken}`,
        "Content-Type": "application/fhir+json",
        Accept: "application/fhir+json",
      },
      body: JSON.stringify(resource),
    });
  } catch {
    throw new SmartError("the EHR's FHIR server could not be reached");
  }
  const created = await response.json().catch(() => null);
  if (!response.ok) {
    const issue = created?.issue?.[0];
    throw new SmartError(issue?.diagnostics || issue?.details?.text || `HTTP ${response.status}`);
  }
  if (created?.id) return `MedicationRequest/${created.id}`;
  const location = response.headers.get("Location") || "";
  const match = /MedicationRequest\/[^/]+/.exec(location);
  return match ? match[0] : "MedicationRequest";
}
