// The taper planner: the plan as a table and a chart, with the pace, extra time at a step and a
// switch to diazepam to choose with the patient, and the printable handout. It calls POST /taper.
//
// Opened three ways: from a card's `smart` link through a real EHR launch (?iss=&launch=, see
// smart.js), from the demo page (?appContext={...} or ?drug=&dose=&...), or on its own.
import { bindLanguageSelect, formatDate, formatNumber, formatShortDate, initialLanguage, language, onLanguageChange, setLanguage, t } from "./i18n.js";
import { getJSON, postJSON } from "./http.js";
import { $, element } from "./dom.js";
import { drawDoseChart } from "./chart.js";
import { beginLaunch, completeLaunch, parseAppContext, writeMedicationRequest } from "./smart.js";

const FIELDS = ["drug", "dose", "protocol", "market", "form", "pace", "switch_to", "start", "holds", "language"];
const FOCUS = {
  drug: "drug", dose: "dose", protocol: "protocol", market: "market", form: "form-kind", pace: "pace-standard",
  switch_to: "switch-auto", start: "start", holds: "clear-holds", language: "language",
};

const state = {
  config: { drugs: [], protocols: [], forms: [], markets: [], demo: false, smartClientId: null, scope: "" },
  session: null, // SMART session after a launch
  patient: null,
  holds: [],
  alsoTaking: [], // other BZRAs taken now, from a card's plan (switched together to diazepam)
  query: null, // the body of the last successful POST /taper
  response: null,
  notice: null, // said once with the next plan (e.g. extra time removed)
};


function drugName(id) {
  const drug = state.config.drugs.find((d) => d.id === id);
  return drug ? drug.name[language()] || drug.name.en : id;
}

function fillDrugList() {
  $("drug-list").replaceChildren(...state.config.drugs.map((drug) => element("option", { attrs: { value: drug.name[language()] || drug.name.en } })));
}

function named(item) {
  return item.name[language()] || item.name.en;
}

/** Fill a <select> with options, keeping the chosen value when it is still offered. */
function fillSelect(id, items, wanted) {
  const select = $(id);
  const keep = wanted ?? select.value;
  select.replaceChildren(...items.map((item) => element("option", { text: named(item), attrs: { value: item.id } })));
  if (items.some((item) => item.id === keep)) select.value = keep;
}

/** The protocols and forms the chosen market offers (e.g. magistral capsules and RIZIV in Belgium only). */
function fillChoices(context = {}) {
  fillSelect("market", state.config.markets, context.market || $("market").value || state.config.defaultMarket);
  const market = $("market").value;
  const offered = (item) => !item.markets.length || item.markets.includes(market);
  fillSelect("protocol", state.config.protocols.filter(offered), context.protocol || $("protocol").value || state.config.defaultProtocol);
  const protocol = state.config.protocols.find((p) => p.id === $("protocol").value);
  const forms = state.config.forms.filter(offered).filter((form) => !protocol || !protocol.forms.length || protocol.forms.includes(form.id));
  fillSelect("form-kind", forms, context.form || $("form-kind").value || (protocol && protocol.forms[0]) || "tablets");
}

/** Plan parameters from ?appContext={json} or from separate query parameters. */
export function contextFromQuery(params) {
  const fromApp = parseAppContext(params.get("appContext"));
  if (fromApp) return fromApp;
  const holds = [...params.getAll("hold"), ...(params.get("holds") || "").split(",")].filter((h) => h.trim() !== "").map(Number);
  const context = { holds };
  for (const key of ["drug", "dose", "protocol", "pace", "form", "switch_to", "start", "market", "patient", "language"]) {
    const value = params.get(key);
    if (value) context[key] = value;
  }
  return context;
}

// ---- the form --------------------------------------------------------------------------------

function pace() {
  return document.querySelector("input[name=pace]:checked")?.value || "standard";
}

function fillForm(context) {
  if (context.drug) $("drug").value = context.drug;
  if (context.dose !== undefined && context.dose !== null) $("dose").value = String(context.dose);
  const wanted = context.pace === "slow" || context.pace === "standard" ? context.pace : state.config.defaultPace || "standard";
  $(`pace-${wanted}`).checked = true;
  const switchId = { diazepam: "switch", none: "switch-none" }[context.switch_to] || "switch-auto";
  $(switchId).checked = true;
  fillChoices(context);
  state.alsoTaking = Array.isArray(context.also_taking) ? context.also_taking : [];
  $("start").value = context.start || state.config.today || "";
  state.holds = Array.isArray(context.holds) ? context.holds.map(Number).filter((n) => Number.isInteger(n) && n > 0) : [];
  if (context.patient) state.patient = String(context.patient).replace(/^Patient\//, "");
  renderHolds();
  renderPatient();
}

/** The number a plan step has in the table, counting the extra time before it (holds use the plan without). */
function shownNumber(baseStep) {
  return baseStep + state.holds.filter((hold) => hold < baseStep).length;
}

function renderHolds() {
  const sorted = [...state.holds].sort((a, b) => a - b);
  const shown = [...new Set(sorted.map(shownNumber))];
  $("holds-text").textContent = sorted.length ? t("planner.holdList", { steps: shown.join(", ") }) : t("planner.noHolds");
  $("clear-holds").hidden = !sorted.length;
}

function renderPatient() {
  $("patient-line").textContent = state.patient ? t("planner.patient", { patient: state.patient }) : "";
}

function clearErrors() {
  for (const field of FIELDS) {
    const box = $(`${field}-error`);
    if (box) box.replaceChildren();
    const input = $(FOCUS[field]);
    if (input) input.removeAttribute("aria-invalid");
  }
  $("page-error").textContent = "";
}

/** Put each of the API's 422 `fields` next to its input; returns the first input to focus. */
function showFieldErrors(fields) {
  let first = null;
  for (const { field, problem } of fields) {
    const name = FIELDS.includes(field) ? field : field.split(".")[0];
    const box = $(`${name}-error`);
    if (!box) {
      $("page-error").textContent = `${field}: ${problem}`;
      continue;
    }
    const lead = t(`field.${name}`) === `field.${name}` ? t("field.other") : t(`field.${name}`);
    box.replaceChildren(document.createTextNode(lead), element("span", { className: "from-service", text: t("field.fromService", { message: problem }) }));
    const input = $(FOCUS[name]);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  return first;
}

function clearHolds(announce) {
  if (!state.holds.length) return;
  state.holds = [];
  renderHolds();
  if (announce) {
    state.notice = t("planner.holdsCleared");
    $("holds-text").textContent = state.notice;
  }
}

function switchChoice() {
  return document.querySelector("input[name=switch_to]:checked")?.value || null;
}

function readQuery() {
  const query = {
    drug: $("drug").value.trim(),
    dose: $("dose").value.trim(),
    protocol: $("protocol").value || null,
    market: $("market").value || null,
    form: $("form-kind").value || null,
    pace: pace(),
    switch_to: switchChoice(),
    also_taking: state.alsoTaking,
    start: $("start").value || null,
    holds: [...state.holds].sort((a, b) => a - b),
    language: language(),
  };
  if (state.patient) query.patient = state.patient;
  return query;
}

async function makePlan() {
  clearErrors();
  const query = readQuery();
  $("plan-status").classList.remove("visually-hidden");
  $("plan-status").textContent = t("planner.working");
  $("make").disabled = true;
  try {
    const response = await postJSON("taper", query);
    state.query = query;
    state.response = response;
    renderPlan();
  } catch (error) {
    $("plan").hidden = true;
    state.response = null;
    if (error.status === 422 && error.fields.length) {
      const first = showFieldErrors(error.fields);
      $("plan-status").textContent = error.message;
      if (first) first.focus();
    } else {
      $("plan-status").textContent = "";
      $("page-error").textContent = error.message;
    }
  } finally {
    $("make").disabled = false;
  }
}

// ---- the plan ----------------------------------------------------------------------------------


function holdButton(label, aria, onClick, className) {
  const button = element("button", { className: `secondary ${className}`, text: label, attrs: { type: "button", "aria-label": aria } });
  button.addEventListener("click", onClick);
  return button;
}

function renderRows(plan) {
  let base = 0; // step numbers of the plan without extra time: what `holds` refer to
  const rows = plan.steps.map((step) => {
    const isStop = step.kind === "stop";
    if (!isStop && step.kind !== "hold") base += 1;
    const number = base;
    const dose = `${formatNumber(step.dose_mg)} mg`;
    let action = null;
    if (step.kind === "hold") {
      action = holdButton(t("planner.unhold"), t("planner.unholdLabel", { step: shownNumber(number) }), () => {
        const index = state.holds.indexOf(number);
        if (index >= 0) state.holds.splice(index, 1);
        renderHolds();
        makePlan();
      }, "unhold");
    } else if (!isStop) {
      action = holdButton(t("planner.hold"), t("planner.holdLabel", { step: step.number, dose: formatNumber(step.dose_mg) }), () => {
        state.holds.push(number);
        renderHolds();
        makePlan();
      }, "hold");
    }
    return element("tr", { className: `kind-${step.kind}`, attrs: { "data-kind": step.kind } }, [
      element("td", { text: String(step.number) }),
      element("td", { text: t(`kind.${step.kind}`) }),
      element("td", { text: formatDate(step.start) }),
      element("td", { text: isStop ? "" : formatDate(step.end) }),
      element("td", { text: isStop ? "0 mg" : dose }),
      element("td", { text: isStop ? "" : step.taken }),
      element("td", {}, [action]),
    ]);
  });
  $("plan-rows").replaceChildren(...rows);
}

function renderExtras(plan) {
  const sections = [];
  if (plan.strips.length) {
    const items = plan.strips.map((strip) => element("li", {
      text: `${strip.number}: ${formatDate(strip.start)} – ${formatDate(strip.end)}, ${formatNumber(strip.first_pouch_mg)} → ${formatNumber(strip.last_pouch_mg)} mg`,
    }));
    sections.push(element("h3", { text: t("planner.strips") }), element("ul", { className: "plain" }, items));
  }
  if (plan.prescriptions.length) {
    const items = plan.prescriptions.map((p) => element("li", {}, [element("pre", { text: p.text[language()] || p.text.nl })]));
    sections.push(element("h3", { text: t("planner.prescriptions") }), element("ul", { className: "plain" }, items));
  }
  $("extras").replaceChildren(...sections);
}

function renderPlan() {
  const { plan, handout } = state.response;
  const summary =
    t("planner.summary", {
      drug: drugName(plan.drug),
      dose: formatNumber(plan.start_dose_mg),
      weeks: Math.round(plan.total_days / 7),
      protocol: plan.protocol_name,
      pace: t(`paceName.${plan.pace}`),
      market: plan.market_name,
      start: formatDate(plan.start),
      taper: drugName(plan.taper_drug),
      end: formatDate(plan.end),
    }) + (plan.switched ? ` ${t("planner.switched", { drug: drugName(plan.taper_drug) })}` : "");
  $("plan").hidden = false;
  $("plan").dataset.pace = plan.pace;
  $("plan").dataset.protocol = plan.protocol;
  $("plan").dataset.steps = String(plan.steps.length);
  $("plan").dataset.totalDays = String(plan.total_days);
  $("plan-summary").textContent = summary;
  $("plan-status").textContent = state.notice ? `${state.notice} ${summary}` : summary; // shown above the chart too
  state.notice = null;
  $("plan-status").classList.add("visually-hidden");
  const first = plan.steps[0];
  const description = t("planner.chartDesc", { from: formatNumber(first ? first.dose_mg : 0), start: formatDate(plan.start), end: formatDate(plan.end) });
  drawDoseChart($("chart"), plan.steps, {
    title: t("planner.chart"),
    description,
    axisLabel: t("planner.axis", { drug: drugName(plan.taper_drug) }),
    formatDate,
    formatNumber: (n) => formatNumber(n),
    formatTick: formatShortDate,
  });
  $("chart-caption").textContent = `${t("planner.chart")}: ${description}`;
  renderRows(plan);
  renderExtras(plan);
  $("notes").replaceChildren(
    ...(plan.notes.length ? [element("h3", { text: t("planner.notes") }), element("ul", { className: "plain" }, plan.notes.map((note) => element("li", { text: note })))] : []),
  );
  $("handout").href = handout;
  $("write-plan").hidden = !state.session;
  $("write-status").textContent = "";
}

async function writePlan() {
  if (!state.session || !state.response) return;
  $("write-status").textContent = t("planner.writing");
  $("write-plan").disabled = true;
  try {
    const ids = [];
    for (const resource of state.response.medicationRequests) ids.push(await writeMedicationRequest(state.session, resource));
    $("write-status").textContent = t("planner.written", { id: ids.join(", ") });
  } catch (error) {
    $("write-status").textContent = t("planner.writeFailed", { message: error.message });
  } finally {
    $("write-plan").disabled = false;
  }
}

// ---- start -------------------------------------------------------------------------------------

async function launch(params) {
  // Returns the plan context, or null when the browser is on its way to the EHR's sign-in.
  if (params.get("error")) {
    $("launch-status").textContent = t("planner.smart.denied", { message: params.get("error_description") || params.get("error") });
    return {};
  }
  if (params.get("code") && params.get("state")) {
    $("launch-status").textContent = t("planner.smart.launching");
    try {
      state.session = await completeLaunch({ code: params.get("code"), state: params.get("state") });
    } catch (error) {
      $("launch-status").textContent = t("planner.smart.failed", { message: error.message });
      return {};
    } finally {
      window.history.replaceState(null, "", window.location.pathname); // the code is used once
    }
    $("launch-status").textContent = t("planner.smart.connected", { patient: state.session.patient || "?" });
    $("launch-status").classList.add("status-ok");
    return { ...(state.session.appContext || {}), ...(state.session.patient ? { patient: state.session.patient } : {}) };
  }
  if (params.get("iss") && params.get("launch")) {
    if (!state.config.smartClientId) {
      $("launch-status").textContent = t("planner.smart.noClient");
      return contextFromQuery(params);
    }
    $("launch-status").textContent = t("planner.smart.launching");
    try {
      const url = await beginLaunch({
        iss: params.get("iss"),
        launch: params.get("launch"),
        clientId: state.config.smartClientId,
        scope: state.config.scope,
        redirectUri: `${window.location.origin}${window.location.pathname}`,
      });
      window.location.assign(url);
      return null;
    } catch (error) {
      $("launch-status").textContent = t("planner.smart.failed", { message: error.message });
      return contextFromQuery(params);
    }
  }
  if (state.config.demo) $("launch-status").textContent = t("planner.smart.demo");
  return contextFromQuery(params);
}

async function init() {
  const params = new URLSearchParams(window.location.search);
  const early = contextFromQuery(params);
  setLanguage(initialLanguage(early.language), { remember: false });
  bindLanguageSelect($("language"));
  try {
    state.config = await getJSON("planner/config");
  } catch (error) {
    $("page-error").textContent = error.message;
  }
  fillDrugList();
  const context = await launch(params);
  if (context === null) return;
  if (context.language && context.language !== language()) setLanguage(context.language, { remember: false });
  fillForm(context);

  $("plan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    makePlan();
  });
  for (const id of ["market", "protocol"]) {
    $(id).addEventListener("change", () => {
      fillChoices();
      clearHolds(true);
      makePlan();
    });
  }
  $("form-kind").addEventListener("change", () => {
    clearHolds(true);
    makePlan();
  });
  for (const input of document.querySelectorAll("input[name=pace], input[name=switch_to]")) {
    input.addEventListener("change", () => {
      clearHolds(true);
      makePlan();
    });
  }
  for (const id of ["drug", "dose", "start"]) $(id).addEventListener("change", () => clearHolds(true));
  $("clear-holds").addEventListener("click", () => {
    clearHolds(false);
    makePlan();
  });
  $("write-plan").addEventListener("click", writePlan);
  onLanguageChange(() => {
    fillDrugList();
    fillChoices();
    renderHolds();
    renderPatient();
    if (state.response) makePlan(); // the notes and the handout come in the chosen language
  });

  if ($("drug").value && $("dose").value) await makePlan();
  else $("plan-status").textContent = t("planner.empty");
}

init().catch((error) => {
  $("page-error").textContent = t("error.unexpected", { message: error.message });
});
