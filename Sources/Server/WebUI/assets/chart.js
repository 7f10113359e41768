// tsql web UI: the line chart of a range query, drawn as SVG — axes with
// time and SI-prefixed value ticks, one path per series, a legend that
// toggles series, a hover tooltip with the exact values, optional stacking.
"use strict";

const Chart = {
  palette: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf", "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"],
  /** The drawing's size when its box has no width yet; otherwise it is drawn at the box's width in pixels. */
  width: 1000,
  height: 360,
  margin: { left: 64, right: 16, top: 12, bottom: 28 },

  /** Nice tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^n. */
  ticks(lo, hi, count) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / count;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(f => f * magnitude).find(s => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  },

  /** Time ticks at round intervals (seconds .. days) of the shown zone (UTC or local). */
  timeTicks(start, end, count) {
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                   172800, 604800, 2592000];
    const step = steps.find(s => (end - start) / s <= count) || 2592000;
    const out = [];
    // Round in the shown zone: its offset (seconds east of UTC) at the start shifts the grid.
    const offset = UI.localTime ? -new Date(start * 1000).getTimezoneOffset() * 60 : 0;
    for (let t = Math.ceil((start + offset) / step) * step - offset; t <= end; t += step) out.push(t);
    const label = t => {
      const shown = UI.formatTime(t);  // "YYYY-MM-DD HH:MM:SS"
      if (step >= 86400) return shown.slice(5, 10);
      if ((end - start) > 86400) return shown.slice(5, 10) + " " + shown.slice(11, 16);
      return step < 60 ? shown.slice(11, 19) : shown.slice(11, 16);
    };
    return out.map(t => ({ t, label: label(t) }));
  },

  /**
   * Draws `result` (a query_range matrix) for [start, end] at `step` seconds into
   * `container` (already in the page, so that its width is known); returns
   * nothing. `stacked` sums visible series bottom-up. The chart is redrawn at
   * its new width when the window resizes, so text keeps its size on a phone.
   */
  render(container, result, { start, end, step, stacked }) {
    const series = result.map((s, i) => ({
      name: UI.seriesName(s.metric),
      color: Chart.palette[i % Chart.palette.length],
      points: (s.values || []).map(([t, v]) => [Number(t), Number(v)]),
      hidden: false,
    }));
    const chart = UI.el("div", { className: "chart" });
    const legend = UI.el("ul", { className: "legend" });
    const draw = () => chart.replaceChildren(...Chart.svg(series, { start, end, step, stacked }, chart));
    series.forEach(s => {
      const item = UI.el("li", { title: "click to show or hide; shift-click to show only this series" },
        UI.el("span", { className: "swatch", style: { background: s.color } }), s.name);
      item.addEventListener("click", e => {
        if (e.shiftKey) {
          const only = !s.hidden && series.every(o => o === s || o.hidden);
          series.forEach(o => { o.hidden = only ? false : o !== s; });
        } else {
          s.hidden = !s.hidden;
        }
        legend.querySelectorAll("li").forEach((li, i) => li.classList.toggle("hidden", series[i].hidden));
        draw();
      });
      legend.appendChild(item);
    });
    container.replaceChildren(chart, legend);
    draw();
    let drawnWidth = chart.clientWidth;
    new ResizeObserver(() => {
      if (chart.clientWidth !== drawnWidth && chart.isConnected) { drawnWidth = chart.clientWidth; draw(); }
    }).observe(chart);
  },

  /** The SVG and its tooltip for the visible series. */
  svg(series, { start, end, step, stacked }, chart) {
    const { margin } = Chart;
    const width = chart.clientWidth > 0 ? Math.max(300, chart.clientWidth) : Chart.width;
    const height = Math.round(Math.min(Chart.height, Math.max(220, width * 0.6)));
    const visible = series.filter(s => !s.hidden);
    // Stacking adds each series' value to the sum of the ones below it at the same
    // timestamp; that sum is kept as the point's third element, the area's floor.
    const drawn = visible.map(s => ({ ...s, plotted: s.points.map(p => [p[0], p[1], 0]) }));
    if (stacked) {
      const base = new Map();
      for (const s of drawn) {
        for (const p of s.plotted) {
          if (!isFinite(p[1])) continue;
          p[2] = base.get(p[0]) || 0;
          p[1] += p[2];
          base.set(p[0], p[1]);
        }
      }
    }
    let lo = Infinity, hi = -Infinity;
    for (const s of drawn) for (const [, v] of s.plotted) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (stacked) lo = Math.min(lo, 0);
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
    // The axis runs from a tick at or below the lowest value to one at or above the highest.
    const yTicks = Chart.ticks(lo, hi, 6);
    const tickStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : Math.abs(lo) || 1;
    if (yTicks[0] > lo) yTicks.unshift(yTicks[0] - tickStep);
    if (yTicks[yTicks.length - 1] < hi) yTicks.push(yTicks[yTicks.length - 1] + tickStep);
    lo = yTicks[0];
    hi = yTicks[yTicks.length - 1];
    const plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom;
    const x = t => margin.left + (end === start ? 0 : (t - start) / (end - start) * plotW);
    const y = v => margin.top + (1 - (v - lo) / (hi - lo)) * plotH;
    const el = UI.el;

    const grid = el("g", { className: "grid" });
    const axis = el("g", { className: "axis" });
    for (const v of yTicks) {
      grid.appendChild(el("line", { x1: margin.left, x2: width - margin.right, y1: y(v), y2: y(v) }));
      axis.appendChild(el("text", { x: margin.left - 6, y: y(v) + 4, "text-anchor": "end" }, UI.formatSI(v)));
    }
    for (const { t, label } of Chart.timeTicks(start, end, Math.max(2, Math.min(8, Math.floor(plotW / 100))))) {
      grid.appendChild(el("line", { x1: x(t), x2: x(t), y1: margin.top, y2: height - margin.bottom }));
      axis.appendChild(el("text", { x: x(t), y: height - 8, "text-anchor": "middle" }, label));
    }
    const lines = el("g", {});
    for (const s of drawn) {
      // A gap longer than the step (or a non-finite value) breaks the line into runs.
      const runs = [];
      let previous = null, count = 0;
      for (const p of s.plotted) {
        if (!isFinite(p[1])) { previous = null; continue; }
        if (previous === null || p[0] - previous > step * 1.001) runs.push([]);
        runs[runs.length - 1].push(p);
        previous = p[0];
        count++;
      }
      const at = (p, v) => `${x(p[0]).toFixed(1)} ${y(v).toFixed(1)}`;
      let d = runs.map(run => "M" + run.map(p => at(p, p[1])).join("L")).join("");
      if (count === 1) d += "h1";  // a lone point still shows
      if (stacked) {
        // Each run's area: along the series, then back along the floor below it.
        const area = runs.map(run => "M" + run.map(p => at(p, p[1])).join("L") + "L" +
                                     [...run].reverse().map(p => at(p, p[2])).join("L") + "Z").join("");
        lines.appendChild(el("path", { className: "series-area", d: area, fill: s.color }));
      }
      lines.appendChild(el("path", { className: "series-line", d, stroke: s.color, "data-series": s.name,
                                     "data-points": count }));
    }
    const cursor = el("line", { className: "cursor", y1: margin.top, y2: height - margin.bottom, visibility: "hidden" });
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
                            "aria-label": `graph of ${visible.length} series` }, grid, axis, lines, cursor);
    const tooltip = el("div", { className: "tooltip", hidden: true });
    svg.addEventListener("mousemove", e => Chart.hover(e, svg, tooltip, cursor, drawn, { x, y, start, end, width, plotW, chart }));
    svg.addEventListener("mouseleave", () => { tooltip.hidden = true; cursor.setAttribute("visibility", "hidden"); });
    return [svg, tooltip];
  },

  /** Shows the values of the series nearest to the pointer at the nearest timestamp. */
  hover(e, svg, tooltip, cursor, drawn, { x, y, start, end, width, plotW, chart }) {
    const box = svg.getBoundingClientRect();
    const scale = width / box.width;
    const px = (e.clientX - box.left) * scale, py = (e.clientY - box.top) * scale;
    const t = start + (px - Chart.margin.left) / plotW * (end - start);
    let best = null;
    for (const s of drawn) {
      let nearest = -1;
      s.points.forEach((p, i) => { if (nearest < 0 || Math.abs(p[0] - t) < Math.abs(s.points[nearest][0] - t)) nearest = i; });
      if (nearest < 0) continue;
      const plotted = s.plotted[nearest][1];
      const distance = isFinite(plotted) ? Math.abs(y(plotted) - py) : Infinity;
      if (best === null || distance < best.distance) best = { s, point: s.points[nearest], distance };
    }
    if (best === null) { tooltip.hidden = true; return; }
    const [pt, pv] = best.point;
    cursor.setAttribute("x1", x(pt));
    cursor.setAttribute("x2", x(pt));
    cursor.setAttribute("visibility", "visible");
    tooltip.replaceChildren(
      UI.el("div", {}, UI.formatTime(pt) + " " + UI.zoneName(pt)),
      UI.el("div", {}, UI.el("span", { className: "swatch", style: { background: best.s.color } }),
            UI.el("strong", {}, String(pv))),
      UI.el("div", { className: "mono" }, best.s.name));
    tooltip.hidden = false;
    const chartBox = chart.getBoundingClientRect();
    const left = e.clientX - chartBox.left + 14;
    tooltip.style.left = Math.min(left, chartBox.width - 260) + "px";
    tooltip.style.top = (e.clientY - chartBox.top + 14) + "px";
  },
};
