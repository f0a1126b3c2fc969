// A live auction (DESIGN §8): price, history, reserve, a countdown that moves when the
// soft close extends it, a bid form with a proxy maximum — every update from the
// WebSocket, resumed after a dropped connection without missing a bid.
import { t, label } from "../i18n.js";
import { get, post, session } from "../api.js";
import { LiveAuction } from "../live.js";
import { h, money, when, addAmounts, problemBox, table, section } from "../ui.js";

export async function render(root, { args }) {
  if (!args[0]) return list(root);
  const id = args[0];
  const a = await get(`/v1/auctions/${encodeURIComponent(id)}`);
  const model = {
    status: a.status, endsAt: a.ends_at, price: a.current_price, bidCount: a.bid_count, reserveMet: a.reserve_met,
    leading: a.leading, extensions: 0, bids: new Map(), registration: a.my_registration,
  };
  const el = {
    price: h("div", { class: "bigprice", "data-test": "price" }),
    count: h("span", { "data-test": "bid-count" }),
    reserve: h("span", { "data-test": "reserve" }),
    status: h("span", { class: "badge", "data-test": "status" }),
    countdown: h("div", { class: "countdown", "data-test": "countdown" }),
    endsAt: h("div", { class: "muted small", "data-test": "ends-at" }),
    extensions: h("span", { class: "badge warn", "data-test": "extensions", hidden: true }),
    leading: h("span", { class: "badge ok", "data-test": "leading", hidden: true }, t("auction.leading")),
    live: h("span", { "data-test": "live", "data-state": "connecting" }),
    history: h("ol", { class: "history", "data-test": "history" }),
    form: h("div", {}),
  };
  const listing = await get(`/v1/listings/${a.listing_id}`).catch(() => null);
  // The history from the auction's own record (complete, however old); the live stream
  // then adds what follows and replays what its outbox still holds (deduplicated by
  // bid sequence).
  const me = session.me.acting_for || session.me.org.id;
  for (let cursor = null, pages = 0; pages < 20; pages += 1) {
    const page = await get(`/v1/auctions/${encodeURIComponent(id)}/bids`, { limit: 200, cursor });
    for (const b of page.items) {
      model.bids.set(b.sequence, { bid_sequence: b.sequence, amount: b.amount, bidder: b.bidder, placed_at: b.placed_at,
        proxy: b.proxy, you: b.bidder === me });
    }
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  root.append(h("h1", {}, t("auction.title"), " · ", listing ? h("a", { href: `#/listings/${a.listing_id}` }, listing.title) : a.listing_id),
    h("div", { class: "auction" },
      h("div", {},
        h("div", { class: "card" },
          h("div", { class: "muted small" }, t("auction.current"), " ", el.live),
          el.price,
          h("p", {}, el.status, " ", el.leading, " ", el.extensions),
          h("p", {}, t("auction.bids"), ": ", el.count, " · ", el.reserve),
          h("p", { class: "small muted" }, t("auction.start"), " ", money(a.start_price), " · ", t("auction.increment"), " ",
            money(a.increment), " · ", t("auction.deposit"), " ", money(a.deposit), " · ",
            t("auction.softclose", { window: a.extension.window_s, extend: a.extension.extend_s }))),
        h("div", { class: "card" }, h("div", { class: "muted small" }, t("auction.remaining")), el.countdown, el.endsAt),
        h("div", { class: "card" }, h("h2", {}, t("auction.bid")), el.form)),
      section(t("auction.history"), el.history)));

  const minimum = () => model.price && model.bidCount ? addAmounts(model.price.amount, a.increment.amount) : a.start_price.amount;
  const draw = () => {
    el.price.textContent = money(model.price || a.start_price);
    el.count.textContent = String(model.bidCount);
    el.reserve.textContent = model.reserveMet ? t("auction.reserve.met") : t("auction.reserve.notmet");
    el.reserve.className = `badge ${model.reserveMet ? "ok" : "warn"}`;
    el.reserve.dataset.met = String(model.reserveMet);
    el.status.textContent = label("auction", model.status);
    el.status.dataset.status = model.status;
    el.endsAt.textContent = `${t("ends")} ${when(model.endsAt)}`;
    el.endsAt.dataset.endsAt = model.endsAt;
    el.leading.hidden = !model.leading;
    el.extensions.hidden = !model.extensions;
    el.extensions.textContent = t("auction.extended", { n: model.extensions });
    el.extensions.dataset.count = String(model.extensions);
    const items = [...model.bids.values()].sort((x, y) => y.bid_sequence - x.bid_sequence);
    el.history.replaceChildren(...items.map((b) => h("li", { class: b.you ? "mine" : null, "data-seq": b.bid_sequence },
      h("span", {}, `#${b.bid_sequence}`), h("span", {}, money(b.amount)), h("span", {}, b.you ? t("auction.you") : b.bidder),
      h("span", { class: "muted" }, when(b.placed_at)), b.proxy ? h("span", { class: "badge" }, t("auction.proxy")) : null)));
    if (amount && !amount.matches(":focus") && !amount.dataset.touched) amount.value = minimum();
  };
  const tick = () => {
    const left = new Date(model.endsAt).getTime() - Date.now();
    if (model.status !== "open" && model.status !== "scheduled") {
      el.countdown.textContent = label("auction", model.status);
    } else if (model.status === "scheduled") {
      el.countdown.textContent = `${t("auction.startsin")} ${clock(new Date(a.starts_at).getTime() - Date.now())}`;
    } else {
      el.countdown.textContent = clock(left);
    }
    el.countdown.classList.toggle("soon", model.status === "open" && left < a.extension.window_s * 1000);
  };

  // The bid form (registration and deposit first, as the rules require).
  let amount = null;
  const out = h("div", {});
  if (!model.registration) {
    el.form.append(h("p", {}, t("auction.notregistered")), h("button", { type: "button", "data-test": "register", onclick: async (e) => {
      e.target.disabled = true;
      try {
        const r = await post(`/v1/auctions/${id}/registrations`);
        el.form.replaceChildren(h("p", { class: "notice" }, t("auction.registered", { status: label("deposit", r.deposit_status) })));
      } catch (err) { el.form.append(problemBox(err)); e.target.disabled = false; }
    } }, t("auction.register")));
  } else {
    amount = h("input", { name: "amount", inputmode: "decimal", required: true, "data-test": "amount",
      oninput: () => { amount.dataset.touched = "1"; } });
    const max = h("input", { name: "max_amount", inputmode: "decimal", placeholder: t("auction.proxy.optional"), "data-test": "max" });
    const submit = h("button", { class: "primary", type: "submit", "data-test": "place-bid" }, t("auction.place"));
    el.form.append(h("form", { class: "bidform", "data-test": "bid-form", onsubmit: async (e) => {
      e.preventDefault();
      out.replaceChildren();
      submit.disabled = true;
      try {
        const body = { amount: { amount: amount.value.trim(), currency: a.start_price.currency } };
        if (max.value.trim()) body.max_amount = { amount: max.value.trim(), currency: a.start_price.currency };
        await post(`/v1/auctions/${id}/bids`, body);
        out.append(h("p", { class: "notice", "data-test": "bid-accepted" }, t("auction.accepted")));
        delete amount.dataset.touched;
        max.value = "";
      } catch (err) { out.append(problemBox(err)); }
      submit.disabled = false;
    } }, h("label", {}, t("auction.amount"), amount), h("label", {}, t("auction.max"), max), submit), out,
    h("p", { class: "muted small" }, t("auction.deposit.status", { status: label("deposit", model.registration.deposit_status) })));
  }

  const apply = (m) => {
    const d = m.data;
    if (m.type === "bid_accepted") {
      model.bids.set(d.bid_sequence, d);
      if (d.bid_sequence >= model.bidCount) {
        model.price = d.amount; model.bidCount = d.bid_sequence; model.endsAt = d.ends_at;
        model.reserveMet = d.reserve_met; model.leading = d.you;
      }
    } else if (m.type === "extended") {
      model.extensions += 1;
      model.endsAt = d.ends_at;
      el.countdown.classList.remove("extended"); void el.countdown.offsetWidth; el.countdown.classList.add("extended");
    } else if (m.type === "opened") {
      model.status = "open";
    } else if (m.type === "closed") {
      model.status = d.outcome; model.leading = !!d.you;
      if (d.price) model.price = d.price;
    } else if (m.type === "settled") {
      model.status = "settled";
    }
    draw();
  };
  const live = new LiveAuction(id, session.key, {
    state: (s) => {
      model.status = s.status; model.endsAt = s.ends_at; model.leading = s.leading;
      if (s.bid_count >= model.bidCount) { model.bidCount = s.bid_count; model.price = s.current_price; }
      draw();
    },
    event: apply,
    status: (state) => {
      el.live.dataset.state = state;
      el.live.replaceChildren(h("span", { class: `live-dot ${state}` }), t(`live.${state}`));
    },
  }).start();
  draw();
  tick();
  const timer = setInterval(tick, 250);
  return {
    live, model,
    leave() { clearInterval(timer); live.stop(); },
  };
}

function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

async function list(root) {
  const [open, scheduled, mine] = await Promise.all([
    get("/v1/auctions", { status: "open", limit: 50 }), get("/v1/auctions", { status: "scheduled", limit: 50 }),
    get("/v1/auctions", { mine: true, limit: 50 })]);
  const columns = [
    { label: t("field.status"), cell: (a) => label("auction", a.status) },
    { label: t("auction.price"), cell: (a) => money(a.current_price || a.start_price) },
    { label: t("auction.bids"), num: true, cell: (a) => a.bid_count },
    { label: t("ends"), cell: (a) => when(a.ends_at) },
    { label: "", cell: (a) => h("a", { href: `#/auctions/${a.id}` }, t("auction.view")) },
  ];
  root.append(h("h1", {}, t("nav.auctions")),
    section(t("auction.list.open"), table(columns, open.items, { test: "open-auctions" })),
    section(t("auction.list.scheduled"), table(columns, scheduled.items)),
    section(t("auction.list.mine"), table(columns, mine.items)));
}
