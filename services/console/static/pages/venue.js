// The venue desk: my endpoints, deliveries with their status, dead letters with retry,
// and my position in the pull feed (the cursor this browser last read up to).
import { t, label } from "../i18n.js";
import { get, post } from "../api.js";
import { h, when, section, table, problemBox } from "../ui.js";

export async function render(root) {
  root.append(h("h1", {}, t("nav.venue")));
  const venues = await get("/v1/venues", { limit: 50 });
  if (!venues.items.length) {
    root.append(h("p", { class: "muted", "data-test": "no-venue" }, t("venue.none")));
    return;
  }
  for (const v of venues.items) root.append(await venueCard(v));
}

async function venueCard(v) {
  const box = h("section", { class: "card", "data-test": "venue", "data-id": v.id });
  const redraw = async () => {
    const [all, dead] = await Promise.all([get(`/v1/venues/${v.id}/deliveries`, { limit: 50 }),
      get(`/v1/venues/${v.id}/deliveries`, { status: "dead", limit: 50 })]);
    const out = h("div", {});
    box.replaceChildren(
      h("h2", {}, v.webhook_url || t("venue.feedonly"), " ", h("span", { class: `badge ${v.status === "active" ? "ok" : "warn"}`,
        "data-test": "venue-status" }, label("venue", v.status))),
      h("p", { class: "muted small" }, t("venue.filter"), " ", filterText(v.filter),
        v.consecutive_failures ? ` · ${t("venue.failures", { n: v.consecutive_failures })}` : ""),
      h("h3", {}, t("venue.dead")), out,
      table([
        { label: t("venue.change"), cell: (d) => `${d.change_type} · ${d.subject}` },
        { label: t("venue.attempts"), num: true, cell: (d) => d.attempts },
        { label: t("venue.error"), cell: (d) => d.last_error || (d.last_status ? `HTTP ${d.last_status}` : "—") },
        { label: "", cell: (d) => h("button", { type: "button", "data-test": "retry", onclick: async (e) => {
          e.target.disabled = true;
          try { await post(`/v1/venues/${v.id}/deliveries/${d.id}/retry`); await redraw(); } catch (err) { out.append(problemBox(err)); e.target.disabled = false; }
        } }, t("venue.retry")) },
      ], dead.items, { test: "dead-letters", empty: t("venue.dead.none") }),
      h("h3", {}, t("venue.deliveries")),
      table([
        { label: t("field.when"), cell: (d) => when(d.created_at) },
        { label: t("venue.change"), cell: (d) => `${d.change_type} · ${d.subject}` },
        { label: t("field.status"), cell: (d) => h("span", { class: `badge ${d.status === "delivered" ? "ok" : d.status === "dead" ? "bad" : "warn"}`,
          "data-test": "delivery-status" }, label("delivery", d.status)) },
        { label: t("venue.attempts"), num: true, cell: (d) => d.attempts },
        { label: t("venue.latency"), num: true, cell: (d) => d.latency_ms === null ? "—" : `${d.latency_ms} ms` },
      ], all.items, { test: "deliveries" }),
      await feed(v));
  };
  await redraw();
  return box;
}

const FILTER_FACETS = { types: "type", industries: "industry", regions: "region", stages: "stage", modes: "mode", ipc: "ipc_class" };

function filterText(filter) {
  const parts = Object.entries(filter || {}).filter(([, values]) => values && values.length)
    .map(([k, values]) => `${t(`facet.${FILTER_FACETS[k] || k}`)}: ${values.join(", ")}`);
  return parts.length ? parts.join("; ") : t("venue.filter.all");
}

async function feed(v) {
  const stored = `psm.feed.${v.id}`;
  const position = localStorage.getItem(stored) || "";
  const page = await get("/v1/feed", { venue_id: v.id, after: position || undefined, limit: 1000 });
  const box = h("div", { "data-test": "feed" }, h("h3", {}, t("venue.feed")),
    h("p", {}, t("venue.feed.position"), " ", h("code", { "data-test": "feed-position" }, position || t("venue.feed.start")),
      " · ", h("span", { "data-test": "feed-waiting" }, t("venue.feed.waiting", { n: page.items.length + (page.items.length === 1000 ? "+" : "") }))),
    h("button", { type: "button", "data-test": "feed-advance", onclick: () => {
      localStorage.setItem(stored, page.next_cursor);
      location.reload();
    } }, t("venue.feed.advance")));
  return box;
}
