// The taper plan's daily dose over time, drawn as an inline SVG step chart (no library).
// The table next to it carries the same numbers for anyone who cannot see the chart.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const HEIGHT = 280;
const MARGIN = { left: 58, right: 18, top: 18, bottom: 44 };
const DAY = 86400000;

function node(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function dayNumber(iso) {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return Date.UTC(y, m - 1, d) / DAY;
}

/** Round tick spacing: 1, 2, 2.5 or 5 times a power of ten, about `count` ticks up to `max`. */
export function niceStep(max, count = 4) {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw);
  return step;
}

/**
 * Draw `steps` (the plan's steps: start, end, dose_mg (the average a day), kind, first_pouch_mg) into `svg`.
 * options: title, description, axisLabel, formatDate(iso), formatNumber(n), formatTick(iso, withYear).
 */
export function drawDoseChart(svg, steps, options) {
  const { title, description, axisLabel, formatDate, formatNumber } = options;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("role", "img");
  const titleId = `${svg.id || "chart"}-title`;
  const descId = `${svg.id || "chart"}-desc`;
  svg.setAttribute("aria-labelledby", `${titleId} ${descId}`);
  svg.append(node("title", { id: titleId }, title), node("desc", { id: descId }, description));
  if (!steps.length) return svg;

  const first = dayNumber(steps[0].start);
  const last = Math.max(...steps.map((s) => (s.kind === "stop" ? dayNumber(s.start) : dayNumber(s.end) + 1)));
  const span = Math.max(last - first, 1);
  const maxDose = Math.max(...steps.map((s) => s.dose_mg), 0.1);
  const yStep = niceStep(maxDose);
  const yMax = Math.ceil((maxDose * 1.05) / yStep) * yStep;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (day) => MARGIN.left + ((day - first) / span) * plotW;
  const y = (dose) => MARGIN.top + plotH - (dose / yMax) * plotH;

  // grid and y axis
  for (let value = 0; value <= yMax + 1e-9; value += yStep) {
    svg.append(node("line", { class: "chart-grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }));
    svg.append(node("text", { class: "chart-label", x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, formatNumber(value)));
  }
  svg.append(
    node("text", { class: "chart-label", x: 14, y: MARGIN.top + plotH / 2, transform: `rotate(-90 14 ${MARGIN.top + plotH / 2})`, "text-anchor": "middle" }, axisLabel),
  );

  // extra time at a step, behind the line
  for (const step of steps.filter((s) => s.kind === "hold")) {
    const x0 = x(dayNumber(step.start));
    const x1 = x(dayNumber(step.end) + 1);
    svg.append(node("rect", { class: "chart-hold", x: x0, y: MARGIN.top, width: Math.max(x1 - x0, 1), height: plotH }));
  }

  // the dose as a step line, with the area under it
  const points = [];
  for (const step of steps) {
    if (step.kind === "stop") {
      const at = x(dayNumber(step.start));
      points.push([at, y(0)]);
      continue;
    }
    // A tapering strip's pouches go down day by day: a slope from the step's first pouch to its last.
    const from = step.first_pouch_mg ?? step.daily_mg ?? step.dose_mg;
    const to = step.first_pouch_mg != null ? step.daily_mg : step.dose_mg;
    points.push([x(dayNumber(step.start)), y(step.first_pouch_mg != null ? from : step.dose_mg)], [x(dayNumber(step.end) + 1), y(to)]);
  }
  const line = points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
  const area = `${line} L${points[points.length - 1][0].toFixed(1)},${y(0).toFixed(1)} L${points[0][0].toFixed(1)},${y(0).toFixed(1)} Z`;
  svg.append(node("path", { class: "chart-area", d: area }), node("path", { class: "chart-line", d: line }));

  // x axis with a few dates
  svg.append(node("line", { class: "chart-axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(0), y2: y(0) }));
  svg.append(node("line", { class: "chart-axis", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: y(0) }));
  const starts = [...new Set(steps.map((s) => s.start))];
  const lastTick = x(dayNumber(starts[starts.length - 1]));
  const kept = [];
  starts.forEach((iso, i) => {
    const px = x(dayNumber(iso));
    const isLast = i === starts.length - 1;
    const farFromKept = !kept.length || px - kept[kept.length - 1][1] >= 95;
    if (isLast ? farFromKept || kept.length === 1 : farFromKept && lastTick - px >= 95) kept.push([iso, px]);
  });
  const tick = options.formatTick || ((iso) => formatDate(iso));
  kept.forEach(([iso, px], i) => {
    const anchor = i === 0 ? "start" : i === kept.length - 1 ? "end" : "middle";
    const withYear = i === 0 || iso.slice(0, 4) !== kept[i - 1][0].slice(0, 4);
    svg.append(node("line", { class: "chart-axis", x1: px, x2: px, y1: y(0), y2: y(0) + 5 }));
    svg.append(node("text", { class: "chart-label", x: px, y: y(0) + 20, "text-anchor": anchor }, tick(iso, withYear)));
  });
  return svg;
}
