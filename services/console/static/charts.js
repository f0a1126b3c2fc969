// Charts drawn as SVG by hand: no library, nothing fetched.
import { h } from "./ui.js";

/**
 * Vertical bars. series: [{name, cls}]; groups: [{label, values: [number per series]}];
 * target: an optional horizontal line {value, label}.
 */
export function bars({ groups, series, target, height = 220, format = String, test }) {
  const width = Math.max(320, groups.length * Math.max(80, series.length * 26 + 24) + 60);
  const max = Math.max(1, target ? target.value : 0, ...groups.flatMap((g) => g.values));
  const top = 16, bottom = 34, left = 44;
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const groupW = (width - left - 10) / Math.max(1, groups.length);
  const barW = Math.min(26, (groupW - 12) / series.length);
  const svg = h("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "data-test": test },
    h("line", { class: "axis", x1: left, x2: width - 6, y1: y(0), y2: y(0) }),
    h("text", { x: 4, y: y(max) + 4 }, format(max)),
    h("text", { x: 4, y: y(0) + 4 }, "0"));
  groups.forEach((g, i) => {
    const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
    g.values.forEach((v, j) => {
      svg.append(h("rect", { class: `bar ${series[j].cls || ""}`, x: x0 + j * barW, y: y(v), width: barW - 3,
        height: Math.max(0, y(0) - y(v)), "data-value": v },
      h("title", {}, `${g.label} · ${series[j].name}: ${format(v)}`)));
      if (v > 0) svg.append(h("text", { x: x0 + j * barW + (barW - 3) / 2, y: y(v) - 3, "text-anchor": "middle" }, format(v)));
    });
    svg.append(h("text", { x: left + i * groupW + groupW / 2, y: height - 14, "text-anchor": "middle" }, g.label));
  });
  if (target) {
    svg.append(h("line", { class: "target", x1: left, x2: width - 6, y1: y(target.value), y2: y(target.value) }));
    svg.append(h("text", { x: width - 8, y: y(target.value) - 4, "text-anchor": "end" }, target.label));
  }
  return h("div", {}, svg, series.length > 1 ? legend(series) : null);
}

export function legend(series) {
  return h("div", { class: "legend" }, series.map((s) => h("span", {},
    h("i", { class: `swatch ${s.cls || ""}` }), s.name)));
}

/** A share of a target as a bar; `short` when below it. */
export function progress(share, { test } = {}) {
  const bar = h("div", {});
  bar.style.width = `${Math.max(0.5, Math.min(100, share * 100))}%`;
  return h("div", { class: `progress ${share < 1 ? "short" : ""}`, "data-test": test }, bar);
}
