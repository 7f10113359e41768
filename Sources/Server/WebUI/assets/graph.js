// tsql web UI: the expression browser at /graph (and /query). Query panels
// with completion, a Table tab (instant query) and a Graph tab (range query),
// kept in the URL with Prometheus' parameters (g0.expr, g0.tab, g0.range_input,
// g0.end_input, g0.moment_input, g0.step_input, g0.stacked; g1.… for more panels)
// so bookmarks, Grafana links and Alertmanager's generatorURL open the same view.
"use strict";

const Graph = {
  functions: ["abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
    "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time",
    "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv",
    "double_exponential_smoothing", "exp", "floor", "histogram_avg", "histogram_count", "histogram_fraction",
    "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum", "hour", "idelta", "increase",
    "irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time",
    "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time",
    "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
    "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
    "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year"],
  aggregations: ["avg", "bottomk", "count", "count_values", "group", "limit_ratio", "limitk", "max", "min",
    "quantile", "stddev", "stdvar", "sum", "topk"],
  keywords: ["anchored", "and", "bool", "by", "fill", "fill_left", "fill_right", "group_left", "group_right", "ignoring", "offset", "on", "or", "smoothed", "unless", "without"],
  rangePresets: ["5m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "2d", "1w", "2w", "4w"],
  /** Table rows shown at most (the rest are counted). */
  maxRows: 10000,
  metricNames: [],
  panels: [],

  page() {
    Graph.panels = Graph.readPanels(new URLSearchParams(location.search));
    if (Graph.panels.length === 0) Graph.panels.push(Graph.newPanel());
    const list = UI.el("div", { id: "panels" });
    const add = UI.el("button", { onclick: () => {
      const panel = Graph.newPanel();
      Graph.panels.push(panel);
      list.appendChild(Graph.panelView(panel));
      panel.input.focus();
    } }, "Add panel");
    UI.show(UI.el("h1", { className: "hide-narrow" }, "Expression browser"), list, add);
    for (const panel of Graph.panels) list.appendChild(Graph.panelView(panel));
    Graph.panels[0].input.focus();
    UI.api("label/__name__/values").then(r => { Graph.metricNames = r.data; }).catch(() => {});
    for (const panel of Graph.panels) if (panel.expr.trim() !== "") Graph.execute(panel);
  },

  newPanel() {
    return { expr: "", tab: 1, range: "1h", end: "", moment: "", step: "", stacked: false };
  },

  /** Panels from Prometheus' URL parameters: g0.expr, g0.tab (0 graph, 1 table), … */
  readPanels(params) {
    const panels = [];
    for (let i = 0; params.has(`g${i}.expr`) || params.has(`g${i}.tab`); i++) {
      const get = (key, fallback) => params.get(`g${i}.${key}`) ?? fallback;
      panels.push({
        expr: get("expr", ""),
        tab: get("tab", "1") === "0" ? 0 : 1,
        range: get("range_input", "1h"),
        end: get("end_input", ""),
        moment: get("moment_input", ""),
        step: get("step_input", ""),
        stacked: get("stacked", "0") === "1",
      });
    }
    return panels;
  },

  /** Writes every panel back into the URL (no new history entry). */
  writeURL() {
    const params = new URLSearchParams();
    Graph.panels.forEach((p, i) => {
      params.set(`g${i}.expr`, p.expr);
      params.set(`g${i}.tab`, String(p.tab));
      params.set(`g${i}.stacked`, p.stacked ? "1" : "0");
      params.set(`g${i}.range_input`, p.range);
      if (p.end) params.set(`g${i}.end_input`, p.end);
      if (p.moment) params.set(`g${i}.moment_input`, p.moment);
      if (p.step) params.set(`g${i}.step_input`, p.step);
    });
    history.replaceState(null, "", location.pathname + "?" + params.toString());
  },

  panelView(panel) {
    const el = UI.el;
    const input = el("textarea", { rows: 1, spellcheck: "false", autocomplete: "off", "aria-label": "Expression",
                                   placeholder: "Expression (press Enter to execute, Shift+Enter for a new line)" });
    input.value = panel.expr;
    const completions = el("ul", { className: "completions", hidden: true, role: "listbox" });
    const run = () => { panel.expr = input.value; Graph.execute(panel); };
    Completion.attach(input, completions, run);
    panel.input = input;
    panel.output = el("div", { className: "output" });
    panel.stats = el("span", { className: "stats muted" });
    const tabButton = (label, tab) => el("button", { className: panel.tab === tab ? "selected" : "",
      onclick: () => { panel.tab = tab; view.replaceWith(Graph.panelView(panel)); if (panel.expr) Graph.execute(panel); } }, label);
    const view = el("section", { className: "panel" },
      el("div", { className: "expr-row" }, input, completions,
         el("button", { className: "primary", onclick: run }, "Execute"),
         el("button", { title: "Remove this panel", onclick: () => {
           Graph.panels = Graph.panels.filter(p => p !== panel);
           view.remove();
           Graph.writeURL();
         } }, "✕")),
      el("div", { className: "tabs" }, tabButton("Table", 1), tabButton("Graph", 0), panel.stats),
      panel.tab === 0 ? Graph.graphControls(panel, run) : Graph.tableControls(panel, run),
      panel.output);
    return view;
  },

  tableControls(panel, run) {
    const el = UI.el;
    const zone = UI.zoneName();
    const moment = UI.timeInput(panel.moment, `Evaluation time (${zone})`, text => { panel.moment = text; run(); });
    return el("div", { className: "toolbar" }, el("label", {}, `Evaluation time (${zone}) `, moment));
  },

  graphControls(panel, run) {
    const el = UI.el;
    const range = el("input", { type: "text", value: panel.range, size: 6, "aria-label": "Range" });
    const setRange = text => { panel.range = text; range.value = text; run(); };
    range.addEventListener("change", () => setRange(range.value.trim()));
    const presets = el("select", { "aria-label": "Range presets" }, el("option", { value: "" }, "range…"),
      Graph.rangePresets.map(r => el("option", { value: r }, r)));
    presets.addEventListener("change", () => { if (presets.value) setRange(presets.value); presets.value = ""; });
    const shift = direction => {
      // The next preset below or above the current range.
      const seconds = UI.parseDuration(panel.range);
      const values = Graph.rangePresets.map(r => UI.parseDuration(r));
      const next = direction < 0 ? [...values].reverse().find(v => v < seconds) ?? values[0]
                                 : values.find(v => v > seconds) ?? values[values.length - 1];
      setRange(UI.formatDuration(next));
    };
    const zone = UI.zoneName();
    const end = UI.timeInput(panel.end, `End time (${zone})`, text => { panel.end = text; run(); });
    const step = el("input", { type: "text", value: panel.step, placeholder: "auto", size: 6, "aria-label": "Step" });
    step.addEventListener("change", () => { panel.step = step.value.trim(); run(); });
    const stacked = el("input", { type: "checkbox", checked: panel.stacked });
    stacked.addEventListener("change", () => { panel.stacked = stacked.checked; run(); });
    return el("div", { className: "toolbar" },
      el("button", { title: "Shorter range", onclick: () => shift(-1) }, "−"), range,
      el("button", { title: "Longer range", onclick: () => shift(1) }, "+"), presets,
      el("label", {}, `End (${zone}) `, end), el("button", { onclick: () => { end.value = ""; panel.end = ""; run(); } }, "now"),
      el("label", {}, "Step ", step), el("label", {}, stacked, " stacked"));
  },

  /** Runs the panel's query for its tab and shows the result, timing and series count. */
  async execute(panel) {
    const expr = panel.expr;
    Graph.writeURL();
    if (expr.trim() === "") return;
    panel.stats.textContent = "running…";
    const started = performance.now();
    try {
      if (panel.tab === 0) {
        const range = UI.parseDuration(panel.range);
        if (!(range > 0)) throw new Error(`invalid range "${panel.range}": use a duration like 1h or 30m`);
        const end = UI.parseTime(panel.end);
        if (!isFinite(end)) throw new Error(`invalid end time "${panel.end}": use YYYY-MM-DD HH:MM:SS`);
        // As Prometheus: the step is range / 250, at least 1 s, unless given.
        const step = panel.step ? UI.parseDuration(panel.step) : Math.max(Math.floor(range / 250), 1);
        if (!(step > 0)) throw new Error(`invalid step "${panel.step}"`);
        const start = end - range;
        const r = await UI.api("query_range", { query: expr, start: String(start), end: String(end), step: String(step) });
        Graph.showStats(panel, started, r.data.result.length, `resolution ${UI.formatDuration(step)}`);
        const box = UI.el("div", {});
        panel.output.replaceChildren(...Graph.notes(r), box);
        if (r.data.result.length === 0) box.appendChild(UI.el("p", { className: "muted" }, "Empty query result"));
        else Chart.render(box, r.data.result, { start, end, step, stacked: panel.stacked });
      } else {
        const time = UI.parseTime(panel.moment);
        if (!isFinite(time)) throw new Error(`invalid evaluation time "${panel.moment}": use YYYY-MM-DD HH:MM:SS`);
        const r = await UI.api("query", { query: expr, time: String(time) });
        const count = Array.isArray(r.data.result) ? r.data.result.length : 1;
        Graph.showStats(panel, started, count);
        panel.output.replaceChildren(...Graph.notes(r), Graph.table(r.data));
      }
    } catch (e) {
      panel.stats.textContent = "";
      panel.output.replaceChildren(UI.errorBox(e.message, expr));
    }
  },

  showStats(panel, started, series, extra) {
    const ms = Math.round(performance.now() - started);
    panel.stats.textContent = `Load time: ${ms} ms · Result series: ${series}` + (extra ? ` · ${extra}` : "");
  },

  /** Warnings and infos of a response. */
  notes(r) {
    return [...r.warnings.map(w => UI.el("div", { className: "error" }, "Warning: " + w)),
            ...r.infos.map(i => UI.el("div", { className: "muted" }, "Info: " + i))];
  },

  /** The Table tab: one row per series (vector, matrix) or one value (scalar, string). */
  table(data) {
    const el = UI.el;
    const rows = [];
    if (data.resultType === "scalar" || data.resultType === "string") {
      rows.push(el("tr", {}, el("td", { className: "series" }, data.resultType), el("td", { className: "value" }, data.result[1])));
    } else if (data.result.length === 0) {
      return el("p", { className: "muted" }, "Empty query result");
    } else {
      for (const s of data.result.slice(0, Graph.maxRows)) {
        const value = data.resultType === "matrix"
          ? el("td", { className: "value" }, s.values.map(([t, v]) => el("div", {}, `${v} @${t}`)))
          : el("td", { className: "value" }, s.value ? s.value[1] : "(histogram)");
        rows.push(el("tr", {}, el("td", { className: "series" }, UI.seriesName(s.metric)), value));
      }
    }
    const table = el("table", { className: "result" }, el("thead", {}, el("tr", {}, el("th", {}, "Series"), el("th", {}, "Value"))),
                     el("tbody", {}, rows));
    const more = data.result.length > Graph.maxRows
      ? el("p", { className: "muted" }, `Showing ${Graph.maxRows} of ${data.result.length} series.`) : null;
    return el("div", {}, table, more);
  },
};

UI.pages.graph = () => Graph.page();
