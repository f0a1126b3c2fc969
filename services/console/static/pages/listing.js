// A listing: its patents with their rights (owner, encumbrances, transfers), roadshows,
// open-licence terms and auctions — each read from its own service's public route.
import { t, label } from "../i18n.js";
import { get } from "../api.js";
import { h, money, when, day, section, table } from "../ui.js";

export async function render(root, { args: [id] }) {
  const l = await get(`/v1/listings/${encodeURIComponent(id)}`);
  root.append(h("h1", { "data-test": "listing-title" }, h("span", { class: `badge type-${l.kind === "demand" ? "demand" : "listing"}` },
    t(`type.${l.kind === "demand" ? "demand" : "listing"}`)), l.title),
  h("div", { class: "card", "data-test": "listing" },
    h("p", {}, h("span", { class: "badge" }, label("status", l.status)), " ",
      l.price ? money(l.price) : l.budget ? `${t("budget")} ${money(l.budget)}` : l.negotiable ? t("negotiable") : ""),
    h("p", {}, l.description || ""),
    table([{ label: t("field.modes"), cell: () => (l.modes || []).map((m) => label("mode", m)).join(" · ") || "—" },
      { label: t("facet.stage"), cell: () => l.stage ? label("stage", l.stage) : "—" },
      { label: t("facet.industry"), cell: () => l.industry ? label("industry", l.industry) : "—" },
      { label: t("facet.region"), cell: () => l.region ? label("region", l.region) : "—" },
      { label: t("field.owner"), cell: () => l.owner_name || l.owner_org_id },
      { label: t("published"), cell: () => when(l.published_at) }], [l])));

  const ids = (l.patents || []).map((p) => p.patent_id);
  const [rights, roadshows, auctions, declarations, matches] = await Promise.all([
    Promise.all(ids.map((pid) => get(`/v1/patents/${pid}`).catch(() => null))),
    get(`/v1/listings/${id}/roadshows`).catch(() => ({ items: [] })),
    get("/v1/auctions", { listing_id: id, limit: 50 }).catch(() => ({ items: [] })),
    Promise.all(ids.map((pid) => get("/v1/open-licences", { patent_id: pid, limit: 20 }).catch(() => ({ items: [] })))),
    get(`/v1/listings/${id}/matches`, { limit: 5 }).catch(() => ({ items: [] })),
  ]);

  root.append(section(t("listing.patents"), ...rights.filter(Boolean).map(patentCard)));
  const openLicences = declarations.flatMap((d) => d.items);
  root.append(h("div", { class: "grid2" },
    section(t("listing.openlicences"), table([
      { label: t("field.patent"), cell: (d) => (d.patent && d.patent.number) || d.patent_id },
      { label: t("field.status"), cell: (d) => label("status", d.status) },
      { label: t("field.royalty"), cell: royalty },
      { label: t("field.term"), cell: (d) => t("years", { n: d.terms.term_years }) },
    ], openLicences, { test: "open-licences" })),
    section(t("listing.auctions"), table([
      { label: t("field.status"), cell: (a) => label("auction", a.status) },
      { label: t("auction.price"), cell: (a) => money(a.current_price || a.start_price) },
      { label: t("ends"), cell: (a) => when(a.ends_at) },
      { label: "", cell: (a) => h("a", { href: `#/auctions/${a.id}`, "data-test": "auction-link" }, t("auction.view")) },
    ], auctions.items, { test: "auctions" }))));
  root.append(h("div", { class: "grid2" },
    section(t("listing.roadshows"), table([
      { label: t("field.title"), cell: (r) => r.roadshow_title },
      { label: t("field.when"), cell: (r) => when(r.slot_starts_at) },
      { label: t("field.mode"), cell: (r) => t(`roadshow.${r.mode}`) },
      { label: t("field.location"), cell: (r) => r.location || "—" },
    ], roadshows.items || [], { test: "roadshows" })),
    section(l.kind === "demand" ? t("listing.matches.supply") : t("listing.matches.demand"), table([
      { label: t("field.title"), cell: (m) => h("a", { href: `#/listings/${m.id}` }, m.title) },
      { label: t("facet.industry"), cell: (m) => m.industry ? label("industry", m.industry) : "—" },
    ], matches.items || []))));
}

function royalty(d) {
  const r = d.terms.royalty;
  const parts = [t(`basis.${r.basis}`)];
  if (r.rate_percent) parts.push(`${r.rate_percent}%`);
  if (r.amount) parts.push(money(r.amount));
  return parts.join(" ");
}

function patentCard(p) {
  return h("div", { class: "card", "data-test": "patent", "data-id": p.id },
    h("h3", {}, p.title), h("p", { class: "muted small" }, `${p.number} · ${t(`patent.${p.kind}`)} · ${p.ipc.join(", ")}`),
    table([
      { label: t("field.owner"), cell: () => p.owner_name || p.owner_org_id },
      { label: t("field.legal"), cell: () => label("legal", p.legal_status) },
      { label: t("field.filed"), cell: () => day(p.filing_date) },
      { label: t("field.expires"), cell: () => day(p.expires_on) },
    ], [p]),
    h("h4", {}, t("rights.encumbrances")),
    table([
      { label: t("field.kind"), cell: (e) => label("encumbrance", e.kind) },
      { label: t("field.reference"), cell: (e) => e.reference_id },
      { label: t("field.holder"), cell: (e) => e.holder_org_id || "—" },
      { label: t("field.since"), cell: (e) => when(e.since) },
    ], p.encumbrances || [], { empty: t("rights.free"), test: "encumbrances" }),
    (p.transfers || []).length ? [h("h4", {}, t("rights.transfers")), table([
      { label: t("field.from"), cell: (x) => x.from_org_id },
      { label: t("field.to"), cell: (x) => x.to_org_id },
      { label: t("auction.price"), cell: (x) => money(x.price) },
      { label: t("field.when"), cell: (x) => when(x.transferred_at) },
      { label: t("rights.recording"), cell: (x) => label("recording", x.recording_status) },
    ], p.transfers)] : null);
}
