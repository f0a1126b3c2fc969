// The institution desk: my patents and listings, leads and roadshow feedback (charted),
// open-licence declarations, licences whose filing (备案) is due or overdue, royalties.
import { t, label } from "../i18n.js";
import { get, session } from "../api.js";
import { h, money, when, day, section, table, kpi } from "../ui.js";
import { bars } from "../charts.js";

const CONCERNS = ["too_early", "benefit_unclear", "commercial_route_unclear", "description_unclear", "price"];

export async function render(root) {
  const me = session.me.org;
  const org = session.me.acting_for || me.id;
  root.append(h("h1", {}, t("nav.desk"), " · ", me.name));
  const [patents, listings, declarations, licences] = await Promise.all([
    get("/v1/patents", { owner_org_id: org, limit: 50 }),
    get("/v1/listings", { owner_org_id: org, limit: 100 }),
    get("/v1/open-licences", { limit: 200 }),
    get("/v1/licences", { role: "licensor", limit: 200 }),
  ]);
  const mine = listings.items;
  const feedback = await Promise.all(mine.filter((l) => l.kind === "supply" && l.status !== "draft")
    .slice(0, 20).map((l) => get(`/v1/listings/${l.id}/feedback`).then((f) => ({ listing: l, f })).catch(() => null)));
  const withFeedback = feedback.filter(Boolean);
  const leads = withFeedback.flatMap(({ listing, f }) => f.leads.map((x) => ({ ...x, title: listing.title })))
    .sort((x, y) => y.created_at.localeCompare(x.created_at));
  const names = Object.fromEntries(await Promise.all([...new Set(leads.map((x) => x.enterprise_org_id))].slice(0, 50)
    .map((oid) => get(`/v1/orgs/${oid}`).then((o) => [oid, o.name]).catch(() => [oid, oid]))));
  const due = licences.items.filter((x) => x.filing_status !== "filed");

  root.append(h("div", { class: "grid3" },
    kpi(t("desk.patents"), patents.items.length + (patents.next_cursor ? "+" : ""), "kpi-patents"),
    kpi(t("desk.listings"), mine.length, "kpi-listings"),
    kpi(t("desk.leads"), leads.length, "kpi-leads")));

  root.append(section(t("desk.leads"), table([
    { label: t("field.when"), cell: (x) => when(x.created_at) },
    { label: t("field.listing"), cell: (x) => h("a", { href: `#/listings/${x.listing_id}` }, x.title) },
    { label: t("desk.enterprise"), cell: (x) => h("span", { "data-org": x.enterprise_org_id }, names[x.enterprise_org_id] || x.enterprise_org_id) },
    { label: t("desk.note"), cell: (x) => x.note || "—" },
  ], leads, { test: "leads" })));

  const rated = withFeedback.filter(({ f }) => f.overall.feedback_count);
  root.append(section(t("desk.feedback"), rated.length ? rated.map(({ listing, f }) => h("div", { "data-test": "feedback-report" },
    h("h3", {}, h("a", { href: `#/listings/${listing.id}` }, listing.title)),
    h("p", { class: "muted small" }, t("desk.feedback.summary", { n: f.overall.feedback_count, mean: f.overall.prospect_mean || "—" })),
    h("div", { class: "grid2" },
      bars({ groups: [1, 2, 3, 4, 5].map((s) => ({ label: String(s), values: [f.overall.prospect_distribution[String(s)] || 0] })),
        series: [{ name: t("desk.prospect"), cls: "s0" }], height: 160, test: "prospect-chart" }),
      bars({ groups: CONCERNS.map((c) => ({ label: t(`concern.${c}`), values: [f.overall.concerns[c] || 0] })),
        series: [{ name: t("desk.concerns"), cls: "s1" }], height: 160 })))) : h("p", { class: "muted" }, t("desk.feedback.none"))));

  root.append(h("div", { class: "grid2" },
    section(t("desk.patents"), table([
      { label: t("field.number"), cell: (p) => p.number },
      { label: t("field.title"), cell: (p) => p.title },
      { label: t("field.legal"), cell: (p) => label("legal", p.legal_status) },
      { label: t("field.expires"), cell: (p) => day(p.expires_on) },
    ], patents.items, { test: "patents" })),
    section(t("desk.listings"), table([
      { label: t("field.title"), cell: (l) => h("a", { href: `#/listings/${l.id}` }, l.title) },
      { label: t("field.kind"), cell: (l) => t(`type.${l.kind === "demand" ? "demand" : "listing"}`) },
      { label: t("field.status"), cell: (l) => label("status", l.status) },
    ], mine, { test: "listings" }))));

  root.append(section(t("desk.declarations"), table([
    { label: t("field.patent"), cell: (d) => (d.patent && (d.patent.title || d.patent.number)) || d.patent_id },
    { label: t("field.status"), cell: (d) => label("status", d.status) },
    { label: t("field.royalty"), cell: (d) => t(`basis.${d.terms.royalty.basis}`) },
    { label: t("field.when"), cell: (d) => when(d.declared_at) },
  ], declarations.items.filter((d) => d.declarer_org_id === org), { test: "declarations" })));

  root.append(section(t("desk.filings"), table([
    { label: t("field.licence"), cell: (x) => x.id },
    { label: t("field.kind"), cell: (x) => label("licence", x.kind) },
    { label: t("desk.licensee"), cell: (x) => x.licensee_org_id },
    { label: t("desk.filing"), cell: (x) => h("span", { class: `badge ${x.filing_status === "filing_overdue" ? "bad" : "warn"}`,
      "data-test": "filing-status" }, label("filing", x.filing_status)) },
    { label: t("desk.filing.due"), cell: (x) => day(x.filing_due_on) },
  ], due, { test: "filings", empty: t("desk.filings.none") })));

  const ledger = licences.items.flatMap((x) => x.royalties.map((r) => ({ ...r, licence: x })));
  root.append(section(t("desk.royalties"), table([
    { label: t("field.licence"), cell: (r) => r.licence.id },
    { label: t("desk.period"), cell: (r) => r.period },
    { label: t("desk.revenue"), num: true, cell: (r) => money(r.reported_revenue) },
    { label: t("desk.due"), num: true, cell: (r) => money(r.due) },
    { label: t("desk.paid"), num: true, cell: (r) => money(r.paid) },
    { label: t("desk.outstanding"), num: true, cell: (r) => money(r.outstanding) },
  ], ledger, { test: "royalties", empty: t("desk.royalties.none") })));
}
