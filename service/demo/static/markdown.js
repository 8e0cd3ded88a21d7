// A tiny, safe Markdown renderer for card details: paragraphs, **bold**, *italic*, `code`,
// [links](https://...), bullet and numbered lists, and pipe tables.
//
// Safe by construction: it builds DOM nodes and puts all text in text nodes, so HTML in the input is
// shown as text, never interpreted. Links are kept only for http(s) URLs.

const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADING = /^\s*#{1,6}\s+(.*)$/;
const ESCAPABLE = /[\\`*_{}[\]()#+\-.!|<>]/;

function el(tag, children = []) {
  const node = document.createElement(tag);
  for (const child of children) node.append(child);
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Append the inline content of `text` to `parent`. */
export function renderInline(text, parent) {
  let buffer = "";
  const flush = () => {
    if (buffer) parent.append(document.createTextNode(buffer));
    buffer = "";
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length && ESCAPABLE.test(text[i + 1])) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (text.startsWith("**", i)) {
      const end = text.indexOf("**", i + 2);
      if (end > i + 2) {
        flush();
        const strong = el("strong");
        renderInline(text.slice(i + 2, end), strong);
        parent.append(strong);
        i = end + 2;
        continue;
      }
    }
    if (ch === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        parent.append(el("code", [document.createTextNode(text.slice(i + 1, end))]));
        i = end + 1;
        continue;
      }
    }
    if (ch === "[") {
      const match = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(text.slice(i));
      const href = match && safeUrl(match[2]);
      if (match && href) {
        flush();
        const link = el("a");
        link.href = href;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        renderInline(match[1], link);
        parent.append(link);
        i += match[0].length;
        continue;
      }
    }
    if ((ch === "*" || ch === "_") && text[i + 1] !== ch && text[i + 1] && !/\s/.test(text[i + 1])) {
      const before = i === 0 ? " " : text[i - 1];
      const end = text.indexOf(ch, i + 1);
      // _ inside a word (snake_case) is not emphasis
      if (end > i + 1 && !/\s/.test(text[end - 1]) && (ch === "*" || !/\w/.test(before))) {
        flush();
        const em = el("em");
        renderInline(text.slice(i + 1, end), em);
        parent.append(em);
        i = end + 1;
        continue;
      }
    }
    buffer += ch;
    i += 1;
  }
  flush();
  return parent;
}

/** The cells of a table row, split on pipes that are not escaped. */
export function tableCells(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === "\\" && row[i + 1] === "|") {
      cell += "\\|"; // keep the escape; renderInline turns it into a pipe
      i += 1;
    } else if (row[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += row[i];
    }
  }
  cells.push(cell.trim());
  return cells;
}

function renderTable(lines) {
  const table = el("table");
  let bodyLines = lines;
  if (lines.length > 1 && TABLE_RULE.test(lines[1])) {
    const head = el("thead", [el("tr", tableCells(lines[0]).map((cell) => renderInline(cell, el("th"))))]);
    for (const th of head.querySelectorAll("th")) th.scope = "col";
    table.append(head);
    bodyLines = lines.slice(2);
  }
  const body = el("tbody");
  for (const line of bodyLines) body.append(el("tr", tableCells(line).map((cell) => renderInline(cell, el("td")))));
  table.append(body);
  return table;
}

/** Render Markdown into a DocumentFragment. */
export function renderMarkdown(source) {
  const fragment = document.createDocumentFragment();
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  let paragraph = [];
  const endParagraph = () => {
    if (paragraph.length) fragment.append(renderInline(paragraph.join(" "), el("p")));
    paragraph = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      endParagraph();
      i += 1;
      continue;
    }
    if (TABLE_ROW.test(line)) {
      endParagraph();
      const block = [];
      while (i < lines.length && TABLE_ROW.test(lines[i])) block.push(lines[i++]);
      fragment.append(renderTable(block));
      continue;
    }
    const list = BULLET.test(line) ? ["ul", BULLET] : NUMBERED.test(line) ? ["ol", NUMBERED] : null;
    if (list) {
      endParagraph();
      const [tag, pattern] = list;
      const items = el(tag);
      while (i < lines.length && pattern.test(lines[i])) {
        items.append(renderInline(pattern.exec(lines[i])[1], el("li")));
        i += 1;
      }
      fragment.append(items);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      fragment.append(el("p", [renderInline(heading[1], el("strong"))]));
      i += 1;
      continue;
    }
    paragraph.push(line.trim());
    i += 1;
  }
  endParagraph();
  return fragment;
}

/** The rendering as an HTML string (for tests and for copying). */
export function markdownToHtml(source) {
  const holder = document.createElement("div");
  holder.append(renderMarkdown(source));
  return holder.innerHTML;
}
