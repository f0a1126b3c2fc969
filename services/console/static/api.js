// The public API as a venue's frontend calls it: /v1 with the user's API key, problem+json errors.
import { lang } from "./i18n.js";

const KEY = "psm.key";
const ME = "psm.me";
const OPERATOR = "psm.operator-key";

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get me() { const s = sessionStorage.getItem(ME); return s ? JSON.parse(s) : null; },
  get operatorKey() { return sessionStorage.getItem(OPERATOR); },
  signIn(key, me) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(ME, JSON.stringify(me));
    if (me.org.kind === "operator") sessionStorage.setItem(OPERATOR, key);
  },
  signOut() { [KEY, ME, OPERATOR].forEach((k) => sessionStorage.removeItem(k)); },
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; this does not). */
export function idempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return "console-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export async function call(method, path, { query, body, key } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json", "Accept-Language": lang() === "zh" ? "zh-CN" : "en" };
  const token = key || session.key;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method === "POST") headers["Idempotency-Key"] = idempotencyKey();
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!r.ok) throw new ApiError(r.status, data || {});
  return data;
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, body) => call("POST", path, { body });
