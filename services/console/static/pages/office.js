// The programme office: deal statistics against the plan's targets (沪府办发〔2024〕7号,
// item 六: institutions' transfers, licences and equity deals +20 % a year; technology
// contracts involving patents over 150 billion yuan) and the market's counts.
import { t, label } from "../i18n.js";
import { get } from "../api.js";
import { h, money, section, table, kpi } from "../ui.js";
import { bars, progress } from "../charts.js";

const MODES = ["transfer", "exclusive_licence", "sole_licence", "ordinary_licence", "equity", "open_licence"];

export async function render(root) {
  root.append(h("h1", {}, t("nav.office")));
  const year = new Date().getUTCFullYear();
  const [deals, market] = await Promise.all([
    get("/v1/stats/deals", { from: `${year - 2}-01-01`, interval: "year", group_by: "mode" }),
    get("/v1/stats/market", { limit: 10 })]);

  root.append(h("div", { class: "grid3" },
    kpi(t("office.registered"), market.patents_registered, "kpi-registered"),
    kpi(t("office.listed"), market.patents_listed, "kpi-listed"),
    kpi(t("office.transacted"), market.patents_transacted, "kpi-transacted")));

  const modes = MODES.filter((m) => deals.periods.some((p) => p.groups.some((g) => g.key === m && g.deals)));
  root.append(section(t("office.deals.bymode"),
    bars({ groups: deals.periods.map((p) => ({ label: p.period, values: modes.map((m) => (p.groups.find((g) => g.key === m) || { deals: 0 }).deals) })),
      series: modes.map((m, i) => ({ name: label("mode", m), cls: `s${i}` })), test: "deals-chart" }),
    table([
      { label: t("office.period"), cell: (p) => p.period },
      { label: t("office.deals"), num: true, cell: (p) => p.total.deals },
      { label: t("office.amount"), num: true, cell: (p) => money({ amount: p.total.amount, currency: deals.currency }) },
      { label: t("office.growth"), num: true, cell: (p) => pct(p.total_growth.deals) },
    ], deals.periods, { test: "deal-periods" })));

  root.append(section(t("office.targets"), ...deals.targets.map((x) => h("div", { class: "card", "data-test": "target", "data-year": x.year },
    h("h3", {}, t("office.target.year", { year: x.year, through: x.through })),
    h("p", {}, t("office.target.growth", { n: x.institution_deals, before: x.institution_deals_year_earlier,
      growth: pct(x.institution_growth), target: pct(x.institution_growth_target) }), " ",
    h("span", { class: `badge ${x.institution_growth_met ? "ok" : "bad"}`, "data-test": "growth-met" },
      x.institution_growth_met ? t("office.met") : t("office.notmet"))),
    x.institution_growth !== null ? progress(Number(x.institution_growth) / Number(x.institution_growth_target)) : null,
    h("p", {}, t("office.target.value", { value: money({ amount: x.city_contract_value, currency: "CNY" }),
      target: money({ amount: x.city_contract_value_target, currency: "CNY" }), share: pct(x.city_contract_value_progress) })),
    progress(Number(x.city_contract_value_progress))))));

  root.append(section(t("office.institutions"), table([
    { label: t("org.name"), cell: (i) => i.name },
    { label: t("office.registered"), num: true, cell: (i) => i.patents_registered },
    { label: t("office.listed"), num: true, cell: (i) => i.patents_listed },
    { label: t("office.transacted"), num: true, cell: (i) => i.patents_transacted },
    { label: t("office.listedshare"), num: true, cell: (i) => pct(i.listed_share) },
  ], market.institutions || [], { test: "institutions" })));
}

function pct(x) {
  return x === null || x === undefined ? "—" : `${(Number(x) * 100).toFixed(1)}%`;
}
