// Catalogue search (DESIGN §6): facets, highlighted matches, suggestions as you type.
import { t, label, lang } from "../i18n.js";
import { get } from "../api.js";
import { h, marked, money, when, day, loading } from "../ui.js";

const FILTERS = ["q", "type", "ipc", "industry", "region", "mode", "stage", "status", "owner_kind", "price_min", "price_max", "sort"];
const FACETS = [["type", "type"], ["mode", "mode"], ["stage", "stage"], ["ipc_section", "ipc"], ["ipc_class", "ipc"],
  ["industry", "industry"], ["region", "region"], ["owner_kind", "owner_kind"], ["status", "status"]];
const FRAGMENT_FIELDS = ["abstracts", "description", "patent_titles", "field", "tags"];

function go(params) {
  const kept = Object.fromEntries(Object.entries(params).filter(([k, v]) => FILTERS.includes(k) && v !== undefined && v !== ""));
  location.hash = `#/?${new URLSearchParams(kept)}`;
}

export async function render(root, { params }) {
  const input = h("input", { type: "search", name: "q", value: params.q || "", placeholder: t("search.placeholder"),
    autocomplete: "off", "data-test": "q" });
  const suggestions = h("ul", { class: "suggestions", hidden: true, "data-test": "suggestions" });
  const sort = h("select", { name: "sort", "data-test": "sort", onchange: () => go({ ...params, sort: sort.value }) },
    ["relevance", "newest", "price_asc", "price_desc", "ending_soon"].map((s) => h("option", { value: s, selected: (params.sort || "relevance") === s }, t(`sort.${s}`))));
  const form = h("form", { class: "search", onsubmit: (e) => { e.preventDefault(); go({ ...params, q: input.value.trim() }); } },
    input, suggestions, sort, h("button", { class: "primary", type: "submit", "data-test": "search" }, t("search")));
  root.append(form);
  suggestAsYouType(input, suggestions, (q) => go({ ...params, q }));

  const facetsBox = h("aside", { class: "facets" });
  const results = h("div", { "data-test": "results" }, loading());
  root.append(h("div", { class: "catalogue" }, facetsBox, results));

  const query = Object.fromEntries(Object.entries(params).filter(([k]) => FILTERS.includes(k)));
  const page = await get("/v1/catalogue/search", { ...query, limit: 20 });
  facetsBox.replaceChildren(...facetList(page.facets, params));
  results.replaceChildren(h("div", { class: "total", "data-test": "total" }, t("search.total", { n: page.total })));
  if (!page.items.length) results.append(h("p", { class: "muted" }, t("search.none")));
  const list = h("div", {});
  results.append(list);
  let cursor = page.next_cursor;
  page.items.forEach((item) => list.append(hit(item)));
  const more = h("button", { type: "button", "data-test": "more", hidden: !cursor, onclick: async () => {
    more.disabled = true;
    const next = await get("/v1/catalogue/search", { ...query, limit: 20, cursor });
    next.items.forEach((item) => list.append(hit(item)));
    cursor = next.next_cursor;
    more.disabled = false;
    more.hidden = !cursor;
  } }, t("search.more"));
  results.append(more);
  return { leave() { suggestions.hidden = true; } };
}

function suggestAsYouType(input, box, choose) {
  let timer = null;
  let asked = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { box.hidden = true; return; }
    timer = setTimeout(async () => {
      const mine = ++asked;
      const s = await get("/v1/catalogue/suggest", { q, limit: 8 });
      if (mine !== asked) return; // a later keystroke's answer wins
      box.replaceChildren(...s.items.map((item) => h("li", {}, h("button", { type: "button", "data-test": "suggestion",
        onclick: () => {
          box.hidden = true;
          if (item.id && (item.type === "listing" || item.type === "demand")) location.hash = `#/listings/${item.id}`;
          else if (item.id && item.type === "auction") location.hash = `#/auctions/${item.id}`;
          else { input.value = item.text; choose(item.text); }
        } }, h("span", { class: `badge type-${item.type}` }, t(`type.${item.type}`)), item.text))));
      box.hidden = !s.items.length;
    }, 150);
  });
  input.addEventListener("keydown", (e) => { if (e.key === "Escape") box.hidden = true; });
}

function facetList(facets, params) {
  const out = [];
  for (const [name, param] of FACETS) {
    const f = facets[name];
    if (!f || !f.buckets.length) continue;
    out.push(h("div", { class: "facet", "data-facet": name }, h("h3", {}, t(`facet.${name}`)),
      f.buckets.slice(0, 12).map((b) => {
        const on = params[param] === b.value;
        return h("button", { type: "button", class: on ? "on" : null, "data-value": b.value,
          onclick: () => go({ ...params, [param]: on ? undefined : b.value }) },
        h("span", {}, label(name, b.value)), h("span", { class: "count" }, b.count));
      })));
  }
  const price = facets.price;
  if (price && price.buckets.some((b) => b.count)) {
    out.push(h("div", { class: "facet", "data-facet": "price" }, h("h3", {}, t("facet.price")),
      price.buckets.filter((b) => b.count).map((b) => {
        const on = (params.price_min || "") === (b.gte || "") && (params.price_max || "") === (b.lt || "");
        return h("button", { type: "button", class: on ? "on" : null, onclick: () => go({ ...params,
          price_min: on ? undefined : b.gte || undefined, price_max: on ? undefined : b.lt || undefined }) },
        h("span", {}, priceBand(b)), h("span", { class: "count" }, b.count));
      })));
  }
  return out;
}

function priceBand(b) {
  const wan = (s) => (lang() === "en" ? `${Number(s) / 1000}k` : `${Number(s) / 10000}万`);
  if (!b.gte) return `< ${wan(b.lt)}`;
  if (!b.lt) return `≥ ${wan(b.gte)}`;
  return `${wan(b.gte)} – ${wan(b.lt)}`;
}

function hit(item) {
  const hl = item.highlight || {};
  const title = hl.title ? marked(hl.title[0]) : item.title;
  const href = item.type === "auction" ? `#/auctions/${item.id}`
    : item.type === "listing" || item.type === "demand" ? `#/listings/${item.id}`
      : item.listing_id ? `#/listings/${item.listing_id}` : null;
  const fragments = FRAGMENT_FIELDS.flatMap((f) => (hl[f] || []).slice(0, 1)).slice(0, 2);
  return h("article", { class: "card hit", "data-test": "hit", "data-id": item.id, "data-type": item.type },
    h("h3", {}, h("span", { class: `badge type-${item.type}` }, t(`type.${item.type}`)),
      href ? h("a", { href }, title) : title),
    fragments.map((f) => h("p", { class: "frag" }, "…", marked(f), "…")),
    h("div", { class: "meta" },
      item.price ? h("span", {}, money(item.price)) : item.negotiable ? h("span", {}, t("negotiable")) : null,
      (item.modes || []).length ? h("span", {}, item.modes.map((m) => label("mode", m)).join(" · ")) : null,
      item.stage ? h("span", {}, label("stage", item.stage)) : null,
      item.industry ? h("span", {}, label("industry", item.industry)) : null,
      item.region ? h("span", {}, label("region", item.region)) : null,
      item.owner_name ? h("span", {}, item.owner_name) : item.owner_kind ? h("span", {}, t(`kind.${item.owner_kind}`)) : null,
      item.ends_at ? h("span", {}, t("ends"), " ", when(item.ends_at)) : null,
      item.published_at ? h("span", {}, t("published"), " ", day(item.published_at)) : null));
}
