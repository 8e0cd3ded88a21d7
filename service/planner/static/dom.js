// Small DOM helpers shared by the demo page and the taper planner.

export const $ = (id) => document.getElementById(id);

/** An element with text, class and attributes set, and its children appended (no HTML parsing). */
export function element(tag, { text, className, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}
