// What an EHR does around a CDS Hooks call, as plain functions (no page, no fetch): build the
// prefetch from the patient's record, the draft order, the order-sign request and the feedback, and
// apply the actions of an accepted suggestion to the orders.

import { translate } from "./i18n.js";

export const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
export const ATC = "http://www.whocc.no/atc";
export const SNOMED = "http://snomed.info/sct";
export const FORM_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm";
export const FHIR_BASE = "http://demo.bzra-cds.invalid/fhir";
export const SERVICE_ID = "bzra-order-sign";
export const LANGUAGE_EXTENSION = "bzra-cds.language";

const PREFETCH = [
  ["medicationStatements", "MedicationStatement"],
  ["medicationRequests", "MedicationRequest"],
  ["medicationDispenses", "MedicationDispense"],
  ["conditions", "Condition"],
];

const REASONS = {
  insomnia: { coding: [{ system: SNOMED, code: "193462001", display: "Insomnia" }], text: "Insomnia" },
  anxiety: { coding: [{ system: SNOMED, code: "197480006", display: "Anxiety disorder" }], text: "Anxiety" },
};

/** A random UUID, also where crypto.randomUUID is missing (pages served over plain http). */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function resources(bundle) {
  return (bundle?.entry || []).map((entry) => entry.resource).filter(Boolean);
}

export function patientOf(bundle) {
  return resources(bundle).find((resource) => resource.resourceType === "Patient") || null;
}

function searchset(matches, included, base) {
  const entry = (resource, mode) => ({
    fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode },
  });
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: matches.length,
    link: [{ relation: "self", url: `${base}/${matches[0]?.resourceType || "Resource"}` }],
    entry: [...matches.map((r) => entry(r, "match")), ...included.map((r) => entry(r, "include"))],
  };
}

/** The prefetch an EHR sends for the service's templates, built from the patient's record. */
export function buildPrefetch(bundle, base = FHIR_BASE) {
  const all = resources(bundle);
  const medications = new Map(all.filter((r) => r.resourceType === "Medication").map((r) => [`Medication/${r.id}`, r]));
  const prefetch = { patient: patientOf(bundle) };
  for (const [key, type] of PREFETCH) {
    const matches = all.filter((r) => r.resourceType === type);
    const included = [];
    for (const resource of matches) {
      const medication = medications.get(resource.medicationReference?.reference);
      if (medication && !included.includes(medication)) included.push(medication); // _include=...:medication
    }
    prefetch[key] = searchset(matches, included, base);
  }
  return prefetch;
}

export function productText(product, language) {
  const name = product.name[language] || product.name.en;
  return `${name} ${product.strengthMg} mg ${translate(language, `order.form.${product.form}`)}`;
}

/** A draft MedicationRequest as an order screen writes it (dose as free text, like many EHRs). */
export function buildDraftOrder({ id = "draft-1", patientId, product, dose, quantity, repeats, reason, today, language = "en" }) {
  const coding = [];
  if (product.rxnorm) coding.push({ system: RXNORM, code: product.rxnorm, display: product.rxnormDisplay });
  coding.push({ system: ATC, code: product.atc, display: product.name.en });
  const order = {
    resourceType: "MedicationRequest",
    id,
    status: "draft",
    intent: "order",
    medicationCodeableConcept: { coding, text: productText(product, language) },
    subject: { reference: `Patient/${patientId}` },
    authoredOn: today,
    requester: { reference: "Practitioner/demo-prescriber", display: "Demo prescriber" },
    dosageInstruction: [{ text: dose }],
    dispenseRequest: {
      quantity: { value: quantity, unit: product.form, system: FORM_SYSTEM, code: product.form === "capsule" ? "CAP" : "TAB" },
      numberOfRepeatsAllowed: repeats,
    },
  };
  if (REASONS[reason]) order.reasonCode = [REASONS[reason]];
  return order;
}

/** The order-sign hook request (CDS Hooks 2.0) for the draft orders, with the record prefetched. */
export function buildHookRequest({ patientId, drafts, prefetch, language, userId = "Practitioner/demo-prescriber" }) {
  return {
    hook: "order-sign",
    hookInstance: uuid(),
    context: {
      userId,
      patientId,
      encounterId: `demo-encounter-${patientId}`,
      draftOrders: { resourceType: "Bundle", type: "collection", entry: drafts.map((resource) => ({ resource })) },
    },
    prefetch,
    extension: { [LANGUAGE_EXTENSION]: language },
  };
}

/** Feedback in the spec's shape: accepted (with the suggestion) or overridden (with the reason). */
export function buildFeedback(card, outcome, { suggestion = null, reason = null, comment = "", now = new Date() } = {}) {
  const item = { card: card.uuid, outcome, outcomeTimestamp: now.toISOString() };
  if (outcome === "accepted" && suggestion) item.acceptedSuggestions = [{ id: suggestion.uuid }];
  if (outcome === "overridden") {
    item.overrideReason = {};
    if (reason) item.overrideReason.reason = reason;
    if (comment) item.overrideReason.userComment = comment;
  }
  return { feedback: [item] };
}

function reference(resource) {
  return `${resource.resourceType}/${resource.id}`;
}

/**
 * Apply an accepted suggestion's actions to the session's orders, as an EHR would.
 * orders: [{resource, state}] with state draft | changed | taper | removed; referrals: [resource].
 * Returns new lists; the inputs are left as they were.
 */
export function applySuggestion(orders, referrals, suggestion) {
  let nextOrders = orders.map((order) => ({ ...order }));
  const nextReferrals = [...referrals];
  for (const action of suggestion.actions || []) {
    if (action.type === "update" && action.resource) {
      const target = reference(action.resource);
      const index = nextOrders.findIndex((order) => reference(order.resource) === target);
      if (index >= 0) nextOrders[index] = { resource: action.resource, state: "changed" };
      else nextOrders.push({ resource: action.resource, state: "changed" });
    } else if (action.type === "delete") {
      const ids = [].concat(action.resourceId || []);
      nextOrders = nextOrders.map((order) => (ids.includes(reference(order.resource)) ? { ...order, state: "removed" } : order));
    } else if (action.type === "create" && action.resource) {
      if (action.resource.resourceType === "ServiceRequest") nextReferrals.push(action.resource);
      else nextOrders.push({ resource: action.resource, state: action.resource.resourceType === "MedicationRequest" ? "taper" : "changed" });
    }
  }
  return { orders: nextOrders, referrals: nextReferrals };
}

/** The medication's name as the record gives it (text, coding, contained or referenced Medication). */
export function medicationName(resource, bundle) {
  const concept = resource.medicationCodeableConcept;
  if (concept) return concept.text || concept.coding?.[0]?.display || "?";
  const ref = resource.medicationReference?.reference || "";
  let medication = null;
  if (ref.startsWith("#")) medication = (resource.contained || []).find((c) => c.id === ref.slice(1));
  else medication = resources(bundle).find((r) => `${r.resourceType}/${r.id}` === ref);
  const code = medication?.code;
  return code?.text || code?.coding?.[0]?.display || resource.medicationReference?.display || "?";
}

/** One row of the medication list: name, dose, dates, source and status. */
export function medicationRow(resource, bundle) {
  const dosage = (resource.dosage || resource.dosageInstruction || [])[0];
  const row = { type: resource.resourceType, name: medicationName(resource, bundle), dose: dosage?.text || "", status: resource.status };
  if (resource.resourceType === "MedicationStatement") {
    row.start = resource.effectivePeriod?.start || resource.effectiveDateTime || null;
    row.end = resource.effectivePeriod?.end || null;
    row.date = row.start || resource.dateAsserted;
  } else if (resource.resourceType === "MedicationRequest") {
    row.date = resource.authoredOn;
  } else {
    row.date = resource.whenHandedOver || resource.whenPrepared;
  }
  return row;
}

export function medicationRows(bundle) {
  const types = ["MedicationStatement", "MedicationRequest", "MedicationDispense"];
  return resources(bundle)
    .filter((r) => types.includes(r.resourceType))
    .map((r) => medicationRow(r, bundle))
    .sort((a, b) => String(b.date || "").localeCompare(String(a.date || "")));
}

export function conditionRows(bundle) {
  return resources(bundle)
    .filter((r) => r.resourceType === "Condition")
    .map((r) => {
      const coding = r.code?.coding?.[0] || {};
      return {
        text: r.code?.text || coding.display || "?",
        code: coding.code || "",
        system: coding.system || "",
        status: r.clinicalStatus?.coding?.[0]?.code || "",
        date: r.onsetDateTime || r.recordedDate || "",
      };
    });
}

/** Query of the taper planner for a card's handout link (`/taper/handout?drug=...`), or null. */
export function plannerQueryFromHandout(url, patientId) {
  let parsed;
  try {
    parsed = new URL(url, "http://placeholder.invalid");
  } catch {
    return null;
  }
  if (!parsed.pathname.endsWith("/taper/handout")) return null;
  const query = new URLSearchParams();
  for (const key of ["drug", "dose", "pace", "switch_to", "start", "language"]) {
    const value = parsed.searchParams.get(key);
    if (value) query.set(key, value);
  }
  for (const hold of parsed.searchParams.getAll("hold")) query.append("hold", hold);
  if (patientId) query.set("patient", patientId);
  return query;
}

/** The URL that opens a `smart` link without an EHR: the launch URL with the appContext in the query. */
export function demoLaunchUrl(link) {
  const url = new URL(link.url, window.location.href);
  if (link.appContext) url.searchParams.set("appContext", link.appContext);
  return url.href;
}
