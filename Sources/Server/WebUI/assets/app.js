// tsql web UI: shared helpers and the page router. Pages only call the
// public /api/v1 API, so they work against any Prometheus-compatible server.
// Every piece of data reaches the page through text nodes or attributes set
// by el(), never as HTML, so label values are always shown as text.
"use strict";

const UI = {
  pages: {},

  /** Creates an element; string children become text nodes. */
  el(tag, attrs, ...children) {
    const svg = ["svg", "g", "path", "line", "text", "rect", "polyline"].includes(tag);
    const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "className") node.setAttribute("class", v);
      else if (k === "style") Object.assign(node.style, v);  // CSSOM: allowed by the page's CSP
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  },

  /** GET /api/v1/<path>; resolves to `data`, rejects with the API's error message. */
  async api(path, params) {
    const query = params ? "?" + new URLSearchParams(params).toString() : "";
    let response;
    try {
      response = await fetch("/api/v1/" + path + query, { headers: { Accept: "application/json" } });
    } catch (e) {
      throw new Error("cannot reach the server: " + e.message);
    }
    let body;
    try {
      body = await response.json();
    } catch (e) {
      throw new Error(`HTTP ${response.status} ${response.statusText} from /api/v1/${path}`);
    }
    if (body.status !== "success") {
      const error = new Error(body.error || `HTTP ${response.status}`);
      error.type = body.errorType;
      throw error;
    }
    return { data: body.data, warnings: body.warnings || [], infos: body.infos || [] };
  },

  /** `name{a="b", c="d"}` as Prometheus prints a label set. */
  seriesName(metric) {
    const name = metric.__name__ || "";
    const pairs = Object.keys(metric).filter(k => k !== "__name__").sort()
      .map(k => `${k}=${JSON.stringify(metric[k])}`);
    return pairs.length || !name ? `${name}{${pairs.join(", ")}}` : name;
  },

  /** Label chips for tables: one per label, text only. */
  labelChips(labels) {
    return UI.el("span", { className: "labels" },
      Object.keys(labels || {}).sort().map(k => UI.el("span", { className: "label" }, `${k}="${labels[k]}"`)));
  },

  /** Prometheus duration text ("1h30m", "90s", "1w") to seconds, or NaN. */
  parseDuration(text) {
    const units = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
    const s = String(text).trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
    const re = /(\d+)(ms|y|w|d|h|m|s)/g;
    let total = 0, used = 0, m;
    while ((m = re.exec(s)) !== null) { total += Number(m[1]) * units[m[2]]; used += m[0].length; }
    return used === s.length && used > 0 ? total : NaN;
  },

  /** Seconds to the shortest Prometheus duration text ("1h", "1d12h", "15s"). */
  formatDuration(seconds) {
    if (!(seconds > 0)) return "0s";
    const units = [["y", 31536000], ["w", 604800], ["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
    let rest = Math.round(seconds * 1000), out = "";
    for (const [u, n] of units) {
      const q = Math.floor(rest / (n * 1000));
      if (q > 0) { out += q + u; rest -= q * n * 1000; }
    }
    if (rest > 0) out += rest + "ms";
    return out;
  },

  /** A duration for humans: "3.2s ago"-style magnitudes. */
  humanDuration(seconds) {
    if (!isFinite(seconds)) return "never";
    if (seconds < 1) return Math.round(seconds * 1000) + "ms";
    if (seconds < 120) return seconds.toFixed(seconds < 10 ? 1 : 0) + "s";
    return UI.formatDuration(Math.round(seconds));
  },

  /** `time` ago from an RFC 3339 timestamp; Go's zero time is "never". */
  ago(rfc3339) {
    const t = Date.parse(rfc3339);
    if (!isFinite(t) || t < 86400000) return "never";
    return UI.humanDuration(Math.max(0, (Date.now() - t) / 1000)) + " ago";
  },

  /**
   * Whether times are shown and typed in the browser's time zone instead of UTC
   * (the "Local time" switch in the header, kept in localStorage). URLs always
   * hold UTC, as Prometheus' UI writes them, so links mean the same for everyone.
   */
  localTime: localStorage.getItem("tsql.localTime") === "1",

  /** "UTC", or the browser's offset ("UTC+05:30") when local time is on. */
  zoneName(seconds) {
    if (!UI.localTime) return "UTC";
    const offset = -new Date((seconds ?? Date.now() / 1000) * 1000).getTimezoneOffset();
    const pad = n => String(Math.floor(n)).padStart(2, "0");
    return offset === 0 ? "UTC" : `UTC${offset < 0 ? "-" : "+"}${pad(Math.abs(offset) / 60)}:${pad(Math.abs(offset) % 60)}`;
  },

  /** Unix seconds to "YYYY-MM-DD HH:MM:SS" in UTC (the URL's time format). */
  formatUTC(seconds) {
    const iso = new Date(seconds * 1000).toISOString();
    return iso.slice(0, 10) + " " + iso.slice(11, 19);
  },

  /** Unix seconds to "YYYY-MM-DD HH:MM:SS" as shown: UTC, or local time when switched on. */
  formatTime(seconds) {
    if (!UI.localTime) return UI.formatUTC(seconds);
    const d = new Date(seconds * 1000), pad = n => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
           `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  },

  /**
   * "YYYY-MM-DD HH:MM[:SS]", RFC 3339 or unix seconds to unix seconds; "" is now.
   * Without a zone the time is UTC, or local when `local` (text typed while local time is shown).
   */
  parseTime(text, local = false) {
    const s = String(text || "").trim();
    if (s === "") return Date.now() / 1000;
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
    if (!m) return NaN;
    if (local && !m[8]) {
      return new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), Math.round(Number(m[7] || 0) * 1000)) / 1000;
    }
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] || "00"}${m[7] || ""}${m[8] || "Z"}`;
    return Date.parse(iso) / 1000;
  },

  /**
   * A time input showing `utcText` (a URL value) in the shown zone; `onChange`
   * gets what was typed as a URL value again ("" for now; text that does not parse
   * is passed on as typed, so that the query reports it).
   */
  timeInput(utcText, label, onChange) {
    const shown = utcText && isFinite(UI.parseTime(utcText)) ? UI.formatTime(UI.parseTime(utcText)) : utcText;
    const input = UI.el("input", { type: "text", value: shown, placeholder: "now", size: 20, "aria-label": label });
    input.addEventListener("change", () => {
      const typed = input.value.trim(), t = UI.parseTime(typed, UI.localTime);
      onChange(typed === "" ? "" : isFinite(t) ? UI.formatUTC(t) : typed);
    });
    return input;
  },

  /** A value with an SI prefix for axes: 1.5k, 2M, 300m. */
  formatSI(v) {
    if (!isFinite(v)) return String(v);
    if (v === 0) return "0";
    const prefixes = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""],
                      [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"], [1e-12, "p"]];
    const a = Math.abs(v);
    for (const [scale, p] of prefixes) {
      if (a >= scale) return UI.trimNumber(v / scale) + p;
    }
    return v.toExponential(2);
  },

  trimNumber(v) {
    return String(Number(v.toPrecision(4)));
  },

  /**
   * An error box; a parse error's position ("at 1:7" here, "1:7: parse error" from
   * Prometheus) gets the query line with a caret under that column.
   */
  errorBox(message, query) {
    const box = UI.el("div", { className: "error", role: "alert" }, "Error: " + message);
    const m = / at (\d+):(\d+)\b/.exec(message) || /(\d+):(\d+): parse error/.exec(message);
    if (m && query !== undefined) {
      const line = String(query).split("\n")[Number(m[1]) - 1];
      if (line !== undefined) {
        const col = Math.max(0, Number(m[2]) - 1);
        box.appendChild(UI.el("pre", { className: "position" }, line + "\n" + " ".repeat(col) + "^"));
      }
    }
    return box;
  },

  /** Replaces the page content. */
  show(...nodes) {
    const main = document.getElementById("main");
    main.replaceChildren(...nodes);
  },

  /** The header's "Local time" switch: redraws the page in the other zone. */
  setUpZoneSwitch() {
    const box = document.getElementById("local-time");
    if (!box) return;
    box.checked = UI.localTime;
    box.addEventListener("change", () => {
      UI.localTime = box.checked;
      localStorage.setItem("tsql.localTime", box.checked ? "1" : "0");
      UI.route();
    });
  },

  route() {
    const path = location.pathname.replace(/\/+$/, "") || "/graph";
    const name = { "/": "graph", "/graph": "graph", "/query": "graph", "/alerts": "alerts", "/rules": "rules",
                   "/targets": "targets", "/status": "status", "/flags": "status", "/tsdb-status": "status",
                   "/config": "config" }[path] || "notFound";
    for (const a of document.querySelectorAll(".nav a[data-route]")) {
      a.classList.toggle("active", a.dataset.route === name);
    }
    const page = UI.pages[name] || (() => UI.show(UI.el("h1", {}, "Page not found")));
    document.title = "tsql · " + (name === "graph" ? "Graph" : name[0].toUpperCase() + name.slice(1));
    Promise.resolve(page()).catch(e => UI.show(UI.errorBox(e.message)));
  },
};

window.addEventListener("DOMContentLoaded", () => { UI.setUpZoneSwitch(); UI.route(); });
