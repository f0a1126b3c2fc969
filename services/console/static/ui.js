// Small DOM helpers: every text goes in as text (never as HTML), so nothing the API
// returns can inject markup; highlighted fragments are split on <em> tags only.
import { t, lang } from "./i18n.js";

export function h(tag, attrs, ...children) {
  const el = tag === "svg" || SVG_TAGS.has(tag)
    ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.setAttribute("class", v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}
const SVG_TAGS = new Set(["g", "rect", "line", "text", "path", "circle", "title", "polyline"]);

/** A highlighted fragment ("…<em>锂电池</em>…") as text and <em> nodes. */
export function marked(fragment) {
  const out = [];
  let on = false;
  for (const part of String(fragment).split(/(<em>|<\/em>)/)) {
    if (part === "<em>") on = true;
    else if (part === "</em>") on = false;
    else if (part) out.push(on ? h("em", {}, part) : document.createTextNode(part));
  }
  return out;
}

/** Money exactly as the API sends it (a decimal string), grouped by thousands: no floats. */
export function money(m) {
  if (!m) return "—";
  const [whole, frac = "00"] = String(m.amount).split(".");
  const neg = whole.startsWith("-");
  const digits = neg ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = m.currency === "CNY" ? "¥" : `${m.currency} `;
  return `${neg ? "-" : ""}${sign}${grouped}.${frac.padEnd(2, "0").slice(0, 2)}`;
}

/** Add two decimal strings with two places (fen), exactly. */
export function addAmounts(a, b) {
  const fen = (s) => {
    const [w, f = ""] = String(s).split(".");
    return BigInt(w + (f + "00").slice(0, 2));
  };
  const total = fen(a) + fen(b);
  const s = (total < 0n ? -total : total).toString().padStart(3, "0");
  return `${total < 0n ? "-" : ""}${s.slice(0, -2)}.${s.slice(-2)}`;
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

export function day(iso) {
  return iso ? String(iso).slice(0, 10) : "—";
}

export function problemBox(err) {
  const p = err && err.problem ? err.problem : { title: String(err && err.message || err) };
  return h("div", { class: "problem", role: "alert", "data-test": "problem" },
    h("strong", {}, p.title || t("error")), p.detail ? h("div", {}, p.detail) : null,
    p.errors && p.errors.length ? h("ul", {}, p.errors.map((e) => h("li", {}, h("code", {}, e.field), " — ", e.message))) : null);
}

export function table(columns, rows, { empty = t("none"), test } = {}) {
  if (!rows.length) return h("p", { class: "muted", "data-test": test ? `${test}-empty` : null }, empty);
  return h("table", { "data-test": test },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(r)))))));
}

export function section(title, ...body) {
  return h("section", { class: "card" }, h("h2", {}, title), ...body);
}

/** A headline number on a card. */
export function kpi(title, value, test) {
  return h("div", { class: "card" }, h("div", { class: "muted small" }, title),
    h("div", { class: "kpi", "data-test": test }, String(value)));
}

export function loading() {
  return h("p", { class: "muted" }, t("loading"));
}
