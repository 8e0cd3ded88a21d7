// The demo order screen: pick a patient, write a prescription, sign it, and see the cards the real
// order-sign hook returns, as an EHR would show them. Accepting a suggestion changes the orders;
// accepting or dismissing a card sends feedback to the service.
import {
  bindLanguageSelect,
  formatDate,
  initialLanguage,
  language,
  onLanguageChange,
  setLanguage,
  t,
} from "./i18n.js";
import { getJSON, postJSON } from "./http.js";
import { $, element } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import * as ehr from "./ehr.js";

const state = {
  today: null,
  patients: [],
  formulary: [],
  summary: null, // the picked patient's entry of /demo/patients
  bundle: null, // the picked patient's record (FHIR Bundle, dates as of today)
  orders: [], // [{resource, state}]
  referrals: [],
  cards: null, // the last response's cards
  signedIn: null, // language of the last hook call
};


function newWindowLink(href, label, attrs = {}) {
  const link = element("a", { attrs: { href, target: "_blank", rel: "noopener", ...attrs } });
  link.append(document.createTextNode(label), " ", element("span", { className: "visually-hidden", text: t("card.newWindow") }));
  return link;
}

function showPageError(message) {
  $("page-error").textContent = message;
}

// ---- patients ------------------------------------------------------------------------------

function patientLine(summary) {
  return `${summary.name}, ${t("demo.age", { age: summary.age })}`;
}

function renderPatientList() {
  const list = $("patients");
  list.replaceChildren(
    ...state.patients.map((summary) => {
      const button = element("button", {
        className: "patient-button",
        attrs: { type: "button", "data-patient-id": summary.id, "aria-pressed": String(state.summary?.id === summary.id) },
      });
      button.append(element("strong", { text: patientLine(summary) }), element("span", { className: "story", text: summary.story[language()] }));
      button.addEventListener("click", () => selectPatient(summary.id));
      return element("li", {}, [button]);
    }),
  );
}

async function selectPatient(id) {
  const summary = state.patients.find((p) => p.id === id);
  if (!summary) return;
  showPageError("");
  try {
    state.bundle = await getJSON(`demo/patients/${encodeURIComponent(id)}`);
  } catch (error) {
    showPageError(error.message);
    return;
  }
  state.summary = summary;
  state.orders = [];
  state.referrals = [];
  state.cards = null;
  renderPatientList();
  renderPatient();
  fillOrderForm(summary.draft);
  renderOrders();
  $("cards").replaceChildren();
  $("cards-status").textContent = t("cards.notSigned");
  $("exchange-request").textContent = "";
  $("exchange-response").textContent = "";
  $("choose").hidden = true;
  $("patient-view").hidden = false;
  const heading = $("patient-name");
  heading.tabIndex = -1;
  heading.focus();
}

function renderPatient() {
  const summary = state.summary;
  if (!summary) return;
  $("patient-name").textContent = summary.name;
  const gender = t(`gender.${summary.gender || "unknown"}`);
  $("patient-details").textContent = `${gender}, ${t("demo.age", { age: summary.age })} (${t("demo.born", { date: formatDate(summary.birthDate) })}) — ${summary.story[language()]}`;
  $("patient-try").textContent = summary.try?.[language()] ? t("demo.try", { text: summary.try[language()] }) : "";
  $("patient-try").hidden = !summary.try?.[language()];
  renderMedications();
  renderConditions();
}

function whenText(row) {
  if (row.type === "MedicationStatement") {
    if (row.start && row.end) return t("demo.when.period", { start: formatDate(row.start), end: formatDate(row.end) });
    return row.start ? t("demo.when.since", { date: formatDate(row.start) }) : t("demo.when.on", { date: formatDate(row.date) });
  }
  if (row.type === "MedicationRequest") return t("demo.when.prescribed", { date: formatDate(row.date) });
  return t("demo.when.dispensed", { date: formatDate(row.date) });
}

function renderMedications() {
  const rows = ehr.medicationRows(state.bundle);
  if (!rows.length) {
    $("meds").replaceChildren(element("p", { text: t("demo.noMeds") }));
    return;
  }
  const head = element("tr", {}, ["demo.col.medicine", "demo.col.dose", "demo.col.when", "demo.col.source"].map((key) => element("th", { text: t(key), attrs: { scope: "col" } })));
  const body = rows.map((row) => {
    const status = ["completed", "stopped"].includes(row.status) && row.type !== "MedicationDispense" ? ` (${t(`demo.status.${row.status}`)})` : "";
    return element("tr", {}, [
      element("td", { text: row.name }),
      element("td", { text: row.dose }),
      element("td", { text: whenText(row) + status }),
      element("td", { text: t(`demo.source.${row.type}`) }),
    ]);
  });
  $("meds").replaceChildren(element("table", {}, [element("thead", {}, [head]), element("tbody", {}, body)]));
}

function renderConditions() {
  const rows = ehr.conditionRows(state.bundle);
  if (!rows.length) {
    $("conditions").replaceChildren(element("p", { text: t("demo.noConditions") }));
    return;
  }
  const system = (uri) => (uri.includes("snomed") ? "SNOMED CT" : uri.includes("icd-10-cm") ? "ICD-10-CM" : uri.includes("icd-10") ? "ICD-10" : "");
  $("conditions").replaceChildren(
    element(
      "ul",
      { className: "plain" },
      rows.map((row) => element("li", { text: `${row.text} (${system(row.system)} ${row.code}) — ${formatDate(row.date)}` })),
    ),
  );
}

// ---- the order form ------------------------------------------------------------------------------

function productsOf(drugKey) {
  return state.formulary.filter((product) => product.name.en === drugKey);
}

function fillDrugSelect() {
  const select = $("drug");
  const chosen = select.value;
  const groups = [
    ["order.bzraGroup", true],
    ["order.otherGroup", false],
  ].map(([label, bzra]) => {
    const names = [...new Set(state.formulary.filter((p) => p.bzra === bzra).map((p) => p.name.en))];
    const group = element("optgroup", { attrs: { label: t(label) } });
    for (const key of names) {
      const product = productsOf(key)[0];
      group.append(element("option", { text: product.name[language()], attrs: { value: key } }));
    }
    return group;
  });
  select.replaceChildren(...groups);
  if (chosen) select.value = chosen;
  fillStrengthSelect();
}

function fillStrengthSelect(productId) {
  const select = $("strength");
  const chosen = productId || select.value;
  select.replaceChildren(
    ...productsOf($("drug").value).map((product) =>
      element("option", { text: `${product.strengthMg} mg ${t(`order.form.${product.form}`)}`, attrs: { value: product.id } }),
    ),
  );
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function fillOrderForm(draft) {
  const product = state.formulary.find((p) => p.id === draft.product);
  $("drug").value = product.name.en;
  fillStrengthSelect(product.id);
  $("dose").value = draft.dose[language()];
  $("quantity").value = draft.quantity;
  $("repeats").value = draft.repeats;
  $("reason").value = draft.reason;
  clearFieldErrors();
}

function setFieldError(name, message) {
  const input = $(name);
  $(`${name}-error`).textContent = message || "";
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function clearFieldErrors() {
  for (const name of ["dose", "quantity", "repeats"]) setFieldError(name, "");
}

function readOrderForm() {
  clearFieldErrors();
  const dose = $("dose").value.trim();
  const quantity = Number($("quantity").value);
  const repeats = Number($("repeats").value === "" ? 0 : $("repeats").value);
  const problems = [];
  if (!dose) problems.push(["dose", t("order.err.dose")]);
  if (!Number.isInteger(quantity) || quantity < 1) problems.push(["quantity", t("order.err.quantity")]);
  if (!Number.isInteger(repeats) || repeats < 0) problems.push(["repeats", t("order.err.repeats")]);
  problems.forEach(([name, message]) => setFieldError(name, message));
  if (problems.length) {
    $(problems[0][0]).focus();
    return null;
  }
  const product = state.formulary.find((p) => p.id === $("strength").value);
  return { product, dose, quantity, repeats, reason: $("reason").value };
}

async function sign(event) {
  event.preventDefault();
  if (!state.summary) return;
  const order = readOrderForm();
  if (!order) return;
  const patientId = state.summary.id;
  const draft = ehr.buildDraftOrder({ patientId, today: state.today, language: language(), ...order });
  state.orders = [{ resource: draft, state: "draft" }];
  state.referrals = [];
  renderOrders();
  const request = ehr.buildHookRequest({
    patientId,
    drafts: [draft],
    prefetch: ehr.buildPrefetch(state.bundle),
    language: language(),
  });
  $("exchange-request").textContent = JSON.stringify(request, null, 2);
  $("exchange-response").textContent = "";
  $("cards").replaceChildren();
  $("cards-status").textContent = t("cards.waiting");
  $("sign").disabled = true;
  try {
    const response = await postJSON(`cds-services/${ehr.SERVICE_ID}`, request);
    $("exchange-response").textContent = JSON.stringify(response, null, 2);
    state.cards = response.cards || [];
    state.signedIn = language();
    renderCards();
  } catch (error) {
    $("cards-status").textContent = t("cards.failed", { message: error.message });
  } finally {
    $("sign").disabled = false;
  }
}

// ---- cards -------------------------------------------------------------------------------------

function cardsStatus(cards) {
  if (!cards.length) return t("cards.none");
  const summaries = cards.map((card) => t("cards.item", { indicator: t(`indicator.${card.indicator}`), summary: card.summary })).join(t("cards.separator"));
  return cards.length === 1 ? t("cards.one", { summaries }) : t("cards.many", { n: cards.length, summaries });
}

function renderCards() {
  $("cards-status").textContent = cardsStatus(state.cards);
  $("cards").replaceChildren(...state.cards.map(renderCard));
}

async function sendFeedback(card, outcome, options, outcomeLine) {
  try {
    await postJSON(`cds-services/${ehr.SERVICE_ID}/feedback?language=${language()}`, ehr.buildFeedback(card, outcome, options));
    outcomeLine.append(" ", element("span", { text: t("card.feedbackSent"), attrs: { "data-feedback": "sent" } }));
  } catch (error) {
    outcomeLine.append(" ", element("span", { text: t("card.feedbackFailed", { message: error.message }), attrs: { "data-feedback": "failed" } }));
  }
}

function finishCard(article, text) {
  article.classList.add("done");
  article.querySelectorAll("button, select, input").forEach((control) => {
    control.disabled = true;
  });
  const outcome = article.querySelector(".outcome");
  outcome.textContent = text;
  return outcome;
}

function plannerLinks(card) {
  const links = card.links || [];
  const smart = links.filter((link) => link.type === "smart");
  if (smart.length) return smart.map((link) => newWindowLink(ehr.demoLaunchUrl(link), link.label, { "data-planner": "smart", class: "button secondary" }));
  for (const link of links) {
    const query = ehr.plannerQueryFromHandout(link.url, state.summary?.id);
    if (query) {
      query.set("language", state.signedIn || language());
      return [newWindowLink(`planner?${query}`, t("card.openPlanner"), { "data-planner": "handout", class: "button secondary" })];
    }
  }
  return [];
}

function renderCard(card, index) {
  const id = `card-${index}`;
  const indicator = ["critical", "warning", "info"].includes(card.indicator) ? card.indicator : "info";
  const article = element("article", { className: `card card-${indicator}`, attrs: { "aria-labelledby": `${id}-summary`, "data-indicator": indicator } });
  article.append(
    element("header", {}, [
      element("span", { className: `indicator indicator-${indicator}`, text: t(`indicator.${indicator}`) }),
      element("h3", { text: card.summary, attrs: { id: `${id}-summary` } }),
    ]),
  );
  if (card.detail) {
    const detail = element("div", { className: "detail" });
    detail.append(renderMarkdown(card.detail));
    article.append(detail);
  }
  if (card.source?.label) {
    const source = element("p", { className: "source" }, [document.createTextNode(`${t("card.source")} `)]);
    source.append(card.source.url ? newWindowLink(card.source.url, card.source.label) : card.source.label);
    article.append(source);
  }

  const suggestions = card.suggestions || [];
  if (suggestions.length) {
    const box = element("div", { className: "suggestions" }, [element("h4", { text: t("card.suggestions") })]);
    for (const suggestion of suggestions) {
      const button = element("button", {
        className: "accept",
        text: suggestion.label,
        attrs: { type: "button", "data-suggestion": suggestion.uuid || "" },
      });
      const row = element("div", { className: "suggestion" }, [button]);
      if (suggestion.isRecommended) row.append(element("span", { className: "recommended", text: t("card.recommended") }));
      const descriptions = (suggestion.actions || []).map((action) => action.description).filter(Boolean);
      if (descriptions.length) row.append(element("p", { className: "desc", text: descriptions.join(" ") }));
      button.addEventListener("click", () => {
        const result = ehr.applySuggestion(state.orders, state.referrals, suggestion);
        state.orders = result.orders;
        state.referrals = result.referrals;
        renderOrders();
        const outcome = finishCard(article, t("card.accepted", { label: suggestion.label }));
        sendFeedback(card, "accepted", { suggestion }, outcome);
      });
      box.append(row);
    }
    article.append(box);
  }

  const planner = plannerLinks(card);
  const otherLinks = (card.links || []).filter((link) => link.type !== "smart");
  if (planner.length || otherLinks.length) {
    const list = element("ul", { className: "plain" });
    for (const link of planner) list.append(element("li", {}, [link]));
    for (const link of otherLinks) list.append(element("li", {}, [newWindowLink(link.url, link.label)]));
    article.append(element("div", { className: "links" }, [element("h4", { text: t("card.links") }), list]));
  }

  const reasons = card.overrideReasons || [];
  if (reasons.length) {
    const select = element("select", { attrs: { id: `${id}-reason`, "aria-describedby": `${id}-reason-error` } });
    select.append(element("option", { text: t("card.chooseReason"), attrs: { value: "" } }));
    reasons.forEach((reason, i) => select.append(element("option", { text: reason.display || reason.code, attrs: { value: String(i) } })));
    const comment = element("input", { attrs: { id: `${id}-comment`, type: "text", autocomplete: "off" } });
    const error = element("p", { className: "field-error", attrs: { id: `${id}-reason-error` } });
    const button = element("button", { className: "secondary override-button", text: t("card.overrideButton"), attrs: { type: "button" } });
    button.addEventListener("click", () => {
      if (select.value === "") {
        error.textContent = t("card.needReason");
        select.setAttribute("aria-invalid", "true");
        select.focus();
        return;
      }
      const reason = reasons[Number(select.value)];
      const note = comment.value.trim();
      const outcome = finishCard(article, t("card.overridden", { reason: reason.display || reason.code }));
      sendFeedback(card, "overridden", { reason, comment: note }, outcome);
    });
    // Folded, as EHRs show a dismiss option: the card stays short until the prescriber wants it.
    article.append(
      element("details", { className: "override-box" }, [
        element("summary", { text: t("card.override") }),
        element("div", { className: "override" }, [
          element("div", { className: "field" }, [element("label", { text: t("card.reason"), attrs: { for: `${id}-reason` } }), select, error]),
          element("div", { className: "field" }, [element("label", { text: t("card.comment"), attrs: { for: `${id}-comment` } }), comment]),
          button,
        ]),
      ]),
    );
  }
  article.append(element("p", { className: "outcome", attrs: { role: "status" } }));
  return article;
}

// ---- orders ------------------------------------------------------------------------------------

const ORDER_STATES = { draft: "orders.draft", changed: "orders.changed", taper: "orders.taper", removed: "orders.removed" };

function renderOrder({ resource, state: orderState }) {
  const box = element("div", {
    className: `order${orderState === "changed" || orderState === "taper" ? " order-changed" : ""}${orderState === "removed" ? " order-removed" : ""}`,
    attrs: { "data-state": orderState },
  });
  const name = resource.medicationCodeableConcept?.text || resource.medicationCodeableConcept?.coding?.[0]?.display || "?";
  box.append(element("p", {}, [element("strong", { text: name }), document.createTextNode(` — ${t(ORDER_STATES[orderState])}`)]));
  const dosages = resource.dosageInstruction || [];
  if (dosages.length > 1) {
    box.append(element("p", { text: t("orders.steps") }), element("ol", {}, dosages.map((d) => element("li", { text: d.text || "" }))));
  } else if (dosages[0]?.text) {
    box.append(element("p", { text: dosages[0].text }));
  }
  const dispense = resource.dispenseRequest;
  if (dispense?.quantity) {
    const unit = dispense.quantity.unit || "";
    const units = t(`order.forms.${unit}`) === `order.forms.${unit}` ? unit : t(`order.forms.${unit}`);
    box.append(
      element("p", {
        className: "quantity",
        text: t("orders.quantity", { quantity: dispense.quantity.value, unit: units, repeats: dispense.numberOfRepeatsAllowed ?? 0 }),
      }),
    );
  }
  if (dispense?.expectedSupplyDuration?.value) box.append(element("p", { text: t("orders.supply", { days: dispense.expectedSupplyDuration.value }) }));
  return box;
}

function renderOrders() {
  $("orders").replaceChildren(...(state.orders.length ? state.orders.map(renderOrder) : [element("p", { text: t("orders.none") })]));
  $("referrals").replaceChildren(
    ...(state.referrals.length
      ? [
          element(
            "ul",
            { className: "plain" },
            state.referrals.map((referral) => element("li", { className: "referral", text: `${referral.code?.text || "?"} — ${t("orders.referralStatus")}` })),
          ),
        ]
      : [element("p", { text: t("orders.noReferrals") })]),
  );
}

// ---- start -------------------------------------------------------------------------------------

function relanguage(previous) {
  renderPatientList();
  fillDrugSelect();
  if (state.summary) {
    const dose = $("dose");
    if (previous && dose.value === state.summary.draft.dose[previous]) dose.value = state.summary.draft.dose[language()];
    renderPatient();
    renderOrders();
  }
  if (state.cards) {
    $("cards-status").textContent = state.signedIn === language() ? cardsStatus(state.cards) : t("cards.languageNote");
  } else if (state.summary) {
    $("cards-status").textContent = t("cards.notSigned");
  }
}

async function init() {
  setLanguage(initialLanguage(), { remember: false });
  bindLanguageSelect($("language"));
  let previous = language();
  onLanguageChange((lang) => {
    relanguage(previous);
    previous = lang;
  });
  $("patients-status").textContent = t("demo.loadingPatients");
  let data;
  try {
    data = await getJSON("demo/patients");
  } catch (error) {
    $("patients-status").textContent = "";
    showPageError(error.message);
    return;
  }
  state.today = data.today;
  state.patients = data.patients;
  state.formulary = data.formulary;
  $("patients-status").textContent = "";
  renderPatientList();
  fillDrugSelect();
  $("drug").addEventListener("change", () => fillStrengthSelect());
  $("order-form").addEventListener("submit", sign);
  $("reset").addEventListener("click", () => state.summary && fillOrderForm(state.summary.draft));
  const wanted = new URLSearchParams(window.location.search).get("patient");
  if (wanted) await selectPatient(wanted);
}

init().catch((error) => showPageError(t("error.unexpected", { message: error.message })));
