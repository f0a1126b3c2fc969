// The console's shell: a hash router, the navigation, the language switch.
import { t, lang, setLang, applyStatic } from "./i18n.js";
import { session } from "./api.js";
import { h, problemBox } from "./ui.js";
import * as catalogue from "./pages/catalogue.js";
import * as listing from "./pages/listing.js";
import * as auction from "./pages/auction.js";
import * as institution from "./pages/institution.js";
import * as venue from "./pages/venue.js";
import * as office from "./pages/office.js";
import * as signin from "./pages/signin.js";

const ROUTES = [
  [/^\/$/, catalogue, "catalogue"],
  [/^\/listings\/([^/]+)$/, listing, "catalogue"],
  [/^\/auctions\/([^/]+)$/, auction, "auctions"],
  [/^\/auctions$/, auction, "auctions"],
  [/^\/desk$/, institution, "desk"],
  [/^\/venue$/, venue, "venue"],
  [/^\/office$/, office, "office"],
  [/^\/signin$/, signin, "signin"],
];
const NAV = [["#/", "catalogue"], ["#/auctions", "auctions"], ["#/desk", "desk"], ["#/venue", "venue"], ["#/office", "office"]];

let current = null; // the page shown: {leave()} to stop its sockets and timers

function parse() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  return { path, params: Object.fromEntries(new URLSearchParams(qs || "")) };
}

function renderChrome(active) {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...NAV.map(([href, key]) => h("a", { href, class: key === active ? "active" : null,
    "data-test": `nav-${key}` }, t(`nav.${key}`))));
  const who = document.getElementById("who");
  const me = session.me;
  who.replaceChildren(me
    ? h("span", { "data-test": "who" }, me.org.name, " · ", t(`kind.${me.org.kind}`), " ",
      h("button", { class: "link", type: "button", onclick: () => { session.signOut(); location.hash = "#/signin"; } }, t("signout")))
    : h("a", { href: "#/signin" }, t("signin")));
  const switcher = document.getElementById("lang");
  switcher.textContent = lang() === "zh" ? "English" : "中文";
  switcher.onclick = () => { setLang(lang() === "zh" ? "en" : "zh"); route(); };
  applyStatic();
}

async function route() {
  const { path, params } = parse();
  const found = ROUTES.map(([re, page, nav]) => [path.match(re), page, nav]).find(([m]) => m);
  if (current && current.leave) current.leave();
  current = null;
  const view = document.getElementById("view");
  if (!found) {
    renderChrome(null);
    view.replaceChildren(h("h1", {}, t("notfound")));
    return;
  }
  const [match, page, nav] = found;
  if (!session.key && page !== signin) {
    location.replace(`#/signin?next=${encodeURIComponent(location.hash)}`);
    return;
  }
  renderChrome(nav);
  const root = h("div", { "data-page": nav });
  view.replaceChildren(root);
  try {
    current = (await page.render(root, { args: match.slice(1), params })) || null;
  } catch (err) {
    root.append(problemBox(err));
    if (err.status === 401) {
      session.signOut();
      root.append(h("p", {}, h("a", { href: "#/signin" }, t("signin"))));
    }
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);
// A hook for anyone driving the console (the tests do): the page shown now.
window.psmConsole = { get page() { return current; } };
