// tsql web UI: the status pages — /targets, /alerts, /rules, /status
// (build, runtime, flags, TSDB statistics) and /config.
"use strict";

const Pages = {
  /** Buttons that filter a page by state, remembered in the URL (?state=…). */
  stateFilter(states, onChange) {
    const params = new URLSearchParams(location.search);
    let selected = params.get("state") || "all";
    const buttons = ["all", ...states].map(state => UI.el("button", { "data-state": state }, state));
    const refresh = () => buttons.forEach(b => b.classList.toggle("selected", b.dataset.state === selected));
    buttons.forEach(b => b.addEventListener("click", () => {
      selected = b.dataset.state;
      const url = new URLSearchParams(location.search);
      if (selected === "all") url.delete("state"); else url.set("state", selected);
      history.replaceState(null, "", location.pathname + (url.toString() ? "?" + url : ""));
      refresh();
      onChange(selected);
    }));
    refresh();
    return { node: UI.el("div", { className: "toolbar" }, "Show: ", buttons), selected: () => selected };
  },

  async targets() {
    const el = UI.el;
    const { data } = await UI.api("targets", { state: "active" });
    const pools = new Map();
    for (const t of data.activeTargets) {
      if (!pools.has(t.scrapePool)) pools.set(t.scrapePool, []);
      pools.get(t.scrapePool).push(t);
    }
    const content = el("div", {});
    const render = state => {
      const groups = [];
      for (const [pool, targets] of [...pools.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        const up = targets.filter(t => t.health === "up").length;
        const shown = targets.filter(t => state === "all" || (state === "unhealthy" ? t.health !== "up" : t.health === state));
        if (shown.length === 0) continue;
        const rows = shown.map(t => el("tr", { "data-health": t.health },
          el("td", {}, el("a", { href: t.scrapeUrl }, t.scrapeUrl)),
          el("td", {}, el("span", { className: `state ${t.health}` }, t.health)),
          el("td", {}, UI.labelChips(t.labels)),
          el("td", { className: "hide-narrow" }, UI.ago(t.lastScrape)),
          el("td", { className: "hide-narrow" }, UI.humanDuration(t.lastScrapeDuration)),
          el("td", { className: "error-cell" }, t.lastError ? el("span", { className: "state down" }, t.lastError) : "")));
        groups.push(el("details", { className: "group", open: true },
          el("summary", {}, `${pool} (${up}/${targets.length} up)`),
          el("div", {}, el("table", {},
            el("thead", {}, el("tr", {}, el("th", {}, "Endpoint"), el("th", {}, "State"), el("th", {}, "Labels"),
              el("th", { className: "hide-narrow" }, "Last scrape"), el("th", { className: "hide-narrow" }, "Scrape duration"),
              el("th", {}, "Error"))),
            el("tbody", {}, rows)))));
      }
      content.replaceChildren(...(groups.length ? groups : [el("p", { className: "muted" },
        pools.size === 0 ? "No scrape targets: add scrape_configs to the configuration file." : "No targets in this state.")]));
    };
    const filter = Pages.stateFilter(["up", "down", "unknown", "unhealthy"], render);
    UI.show(el("h1", {}, "Targets"), filter.node, content);
    render(filter.selected());
  },

  async alerts() {
    const el = UI.el;
    const { data } = await UI.api("rules", { type: "alert" });
    const rules = data.groups.flatMap(g => g.rules.map(r => ({ ...r, group: g.name, file: g.file })));
    const content = el("div", {});
    const counts = state => rules.filter(r => r.state === state).length;
    const render = state => {
      const shown = rules.filter(r => state === "all" || r.state === state);
      content.replaceChildren(...(shown.length ? shown.map(Pages.alertRule) : [el("p", { className: "muted" },
        rules.length === 0 ? "No alerting rules: add rule_files to the configuration file." : "No alerting rules in this state.")]));
    };
    const filter = Pages.stateFilter(["inactive", "pending", "firing"], render);
    UI.show(el("h1", {}, "Alerts"),
      el("p", {}, el("span", { className: "state inactive" }, `inactive (${counts("inactive")})`), " ",
        el("span", { className: "state pending" }, `pending (${counts("pending")})`), " ",
        el("span", { className: "state firing" }, `firing (${counts("firing")})`)),
      filter.node, content);
    render(filter.selected());
  },

  alertRule(rule) {
    const el = UI.el;
    const alerts = (rule.alerts || []).map(a => el("tr", { "data-state": a.state },
      el("td", {}, UI.labelChips(a.labels)),
      el("td", {}, el("span", { className: `state ${a.state}` }, a.state)),
      el("td", { className: "hide-narrow" }, a.activeAt ? UI.formatTime(Date.parse(a.activeAt) / 1000) + " " + UI.zoneName(Date.parse(a.activeAt) / 1000) : ""),
      el("td", { className: "value" }, a.value),
      el("td", {}, Object.keys(a.annotations || {}).sort().map(k => el("div", {}, el("strong", {}, k + ": "), a.annotations[k])))));
    return el("details", { className: "group", open: rule.state !== "inactive", "data-rule": rule.name },
      el("summary", {}, el("span", { className: `state ${rule.state}` }, rule.state), " ",
        el("strong", {}, rule.name), ` (${(rule.alerts || []).length} active)`, el("span", { className: "muted" }, ` — ${rule.group}`)),
      el("div", {},
        el("pre", { className: "block" }, Pages.ruleText(rule)),
        alerts.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Labels"), el("th", {}, "State"),
          el("th", { className: "hide-narrow" }, "Active since"), el("th", {}, "Value"), el("th", {}, "Annotations"))),
          el("tbody", {}, alerts)) : null));
  },

  /** A rule as it reads in its rule file. */
  ruleText(rule) {
    const lines = [rule.type === "alerting" ? `alert: ${rule.name}` : `record: ${rule.name}`, `expr: ${rule.query}`];
    if (rule.duration) lines.push(`for: ${UI.formatDuration(rule.duration)}`);
    if (rule.keepFiringFor) lines.push(`keep_firing_for: ${UI.formatDuration(rule.keepFiringFor)}`);
    for (const [title, map] of [["labels", rule.labels], ["annotations", rule.annotations]]) {
      const keys = Object.keys(map || {}).sort();
      if (keys.length) lines.push(`${title}:`, ...keys.map(k => `  ${k}: ${map[k]}`));
    }
    return lines.join("\n");
  },

  async rules() {
    const el = UI.el;
    const { data } = await UI.api("rules");
    const groups = data.groups.map(g => el("details", { className: "group", open: true },
      el("summary", {}, el("strong", {}, g.name), el("span", { className: "muted" },
        ` — ${g.file} · every ${UI.formatDuration(g.interval)} · last evaluation ${UI.ago(g.lastEvaluation)}` +
        ` · took ${UI.humanDuration(g.evaluationTime)}`)),
      el("div", {}, el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "Rule"), el("th", {}, "State"), el("th", {}, "Error"),
          el("th", { className: "hide-narrow" }, "Last evaluation"), el("th", { className: "hide-narrow" }, "Evaluation time"))),
        el("tbody", {}, g.rules.map(r => el("tr", { "data-rule": r.name },
          el("td", {}, el("pre", { className: "block" }, Pages.ruleText(r))),
          el("td", {}, el("span", { className: `state ${r.health}` }, r.health)),
          el("td", {}, r.lastError ? el("span", { className: "state err" }, r.lastError) : ""),
          el("td", { className: "hide-narrow" }, UI.ago(r.lastEvaluation)),
          el("td", { className: "hide-narrow" }, UI.humanDuration(r.evaluationTime)))))))));
    UI.show(el("h1", {}, "Rules"), ...(groups.length ? groups
      : [el("p", { className: "muted" }, "No rules: add rule_files to the configuration file.")]));
  },

  keyValues(object) {
    return UI.el("dl", { className: "kv" }, Object.keys(object).map(k => [UI.el("dt", {}, k), UI.el("dd", {}, String(object[k]))]));
  },

  /** Top-N tables of /api/v1/status/tsdb. */
  statTable(title, rows, valueTitle) {
    const el = UI.el;
    return [el("h2", {}, title), el("table", { className: "stat" },
      el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, valueTitle))),
      el("tbody", {}, (rows || []).map(r => el("tr", {}, el("td", { className: "series" }, r.name), el("td", { className: "value" }, r.value)))))];
  },

  async status() {
    const el = UI.el;
    const [build, runtime, flags, tsdb] = await Promise.all(
      ["status/buildinfo", "status/runtimeinfo", "status/flags", "status/tsdb"].map(p => UI.api(p)));
    const head = tsdb.data.headStats || {};
    const time = ms => (isFinite(ms) && Math.abs(ms) < 8.64e15 ? UI.formatTime(ms / 1000) + " " + UI.zoneName(ms / 1000) : String(ms));
    UI.show(el("h1", {}, "Status"),
      el("h2", { id: "build" }, "Build information"), Pages.keyValues(build.data),
      el("h2", { id: "runtime" }, "Runtime information"), Pages.keyValues(runtime.data),
      el("h2", { id: "tsdb" }, "Head block"), Pages.keyValues({
        "Number of series": head.numSeries, "Number of chunks": head.chunkCount,
        "Number of label pairs": head.numLabelPairs, "Current min time": time(head.minTime), "Current max time": time(head.maxTime) }),
      ...Pages.statTable("Top metric names by series count", tsdb.data.seriesCountByMetricName, "Series"),
      ...Pages.statTable("Top label names by value count", tsdb.data.labelValueCountByLabelName, "Values"),
      ...Pages.statTable("Top label names by memory use", tsdb.data.memoryInBytesByLabelName, "Bytes"),
      ...Pages.statTable("Top label pairs by series count", tsdb.data.seriesCountByLabelValuePair, "Series"),
      el("h2", { id: "flags" }, "Command-line flags"), Pages.keyValues(flags.data));
    const anchor = { "/flags": "flags", "/tsdb-status": "tsdb" }[location.pathname];
    if (anchor) document.getElementById(anchor).scrollIntoView();
  },

  async config() {
    const { data } = await UI.api("status/config");
    UI.show(UI.el("h1", {}, "Configuration"), UI.el("pre", { className: "block", id: "config-yaml" }, data.yaml));
  },
};

UI.pages.targets = () => Pages.targets();
UI.pages.alerts = () => Pages.alerts();
UI.pages.rules = () => Pages.rules();
UI.pages.status = () => Pages.status();
UI.pages.config = () => Pages.config();
