// Sign in with an API key; an operator may open any organisation's desk by issuing it a
// key (POST /v1/orgs/{id}/keys), as an operator does for an institution that has none.
import { t } from "../i18n.js";
import { call, get, session } from "../api.js";
import { h, problemBox, table } from "../ui.js";

export async function render(root, { params }) {
  const next = params.next || "#/";
  const input = h("input", { type: "password", name: "key", autocomplete: "off", required: true,
    placeholder: "psm_… / op_…", "data-test": "key" });
  const out = h("div", {});
  const form = h("form", { class: "stack card", "data-test": "signin", onsubmit: async (e) => {
    e.preventDefault();
    out.replaceChildren();
    try {
      const me = await call("GET", "/v1/me", { key: input.value.trim() });
      session.signIn(input.value.trim(), me);
      if (me.org.kind === "operator") await operatorChoices(root, next);
      else location.hash = next;
    } catch (err) { out.append(problemBox(err)); }
  } }, h("label", {}, t("signin.key")), input, h("button", { class: "primary", type: "submit" }, t("signin")),
  h("p", { class: "muted small" }, t("signin.hint")), out);
  root.append(h("h1", {}, t("signin")), form);
  if (session.operatorKey) await operatorChoices(root, next);
}

async function operatorChoices(root, next) {
  const kinds = ["institution", "venue", "enterprise"];
  const orgs = (await Promise.all(kinds.map((kind) => call("GET", "/v1/orgs", {
    query: { kind, limit: 200 }, key: session.operatorKey })))).flatMap((p) => p.items);
  const out = h("div", {});
  const actAs = async (org) => {
    out.replaceChildren();
    try {
      const issued = await call("POST", `/v1/orgs/${org.id}/keys`, { key: session.operatorKey });
      const key = issued.api_key;
      const me = await call("GET", "/v1/me", { key });
      session.signIn(key, me);
      location.hash = org.kind === "venue" ? "#/venue" : org.kind === "institution" ? "#/desk" : next;
    } catch (err) { out.append(problemBox(err)); }
  };
  root.append(h("section", { class: "card", "data-test": "act-as" },
    h("h2", {}, t("signin.actas")), h("p", { class: "muted small" }, t("signin.actas.hint")), out,
    h("p", {}, h("a", { href: next }, t("signin.asoperator"))),
    table([
      { label: t("org.name"), cell: (o) => o.name },
      { label: t("org.kind"), cell: (o) => t(`kind.${o.kind}`) },
      { label: "", cell: (o) => h("button", { type: "button", "data-org": o.id, onclick: () => actAs(o) }, t("signin.open")) },
    ], orgs)));
}
