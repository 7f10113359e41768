// tsql web UI: completion in the expression box — metric names (from
// /api/v1/label/__name__/values), functions, aggregations and keywords for
// the word before the cursor; Enter or Ctrl+Enter executes the query.
"use strict";

const Completion = {
  /** At most this many suggestions are listed. */
  limit: 30,

  /** The identifier being typed before the caret, or null inside a string or `{…}`. */
  wordBefore(text, caret) {
    const before = text.slice(0, caret);
    let depth = 0, quote = null;
    for (const c of before) {
      if (quote) { if (c === quote) quote = null; continue; }
      if (c === '"' || c === "'" || c === "`") quote = c;
      else if (c === "{") depth++;
      else if (c === "}") depth = Math.max(0, depth - 1);
    }
    if (quote || depth > 0) return null;
    const m = /[a-zA-Z_:][a-zA-Z0-9_:]*$/.exec(before);
    return m ? m[0] : null;
  },

  /** Candidates for `word`: prefix matches first, then other substring matches. */
  candidates(word) {
    const all = [
      ...Graph.metricNames.map(n => ({ text: n, kind: "metric" })),
      ...Graph.functions.map(n => ({ text: n, kind: "function" })),
      ...Graph.aggregations.map(n => ({ text: n, kind: "aggregation" })),
      ...Graph.keywords.map(n => ({ text: n, kind: "keyword" })),
    ];
    const w = word.toLowerCase();
    const prefix = all.filter(c => c.text.toLowerCase().startsWith(w) && c.text !== word);
    const inside = all.filter(c => !c.text.toLowerCase().startsWith(w) && c.text.toLowerCase().includes(w));
    return [...prefix, ...inside].slice(0, Completion.limit);
  },

  attach(input, list, execute) {
    let items = [], current = -1;
    const close = () => { list.hidden = true; items = []; current = -1; };
    const highlight = i => {
      current = i;
      list.querySelectorAll("li").forEach((li, j) => li.classList.toggle("current", j === i));
      const li = list.children[i];
      if (li) li.scrollIntoView({ block: "nearest" });
    };
    const accept = item => {
      const caret = input.selectionStart;
      const word = Completion.wordBefore(input.value, caret) || "";
      const call = item.kind === "function" || item.kind === "aggregation";
      const insert = item.text + (call ? "(" : "");
      input.value = input.value.slice(0, caret - word.length) + insert + input.value.slice(caret);
      const at = caret - word.length + insert.length;
      input.setSelectionRange(at, at);
      close();
      input.focus();
    };
    const update = () => {
      const word = Completion.wordBefore(input.value, input.selectionStart);
      items = word ? Completion.candidates(word) : [];
      if (items.length === 0) { close(); return; }
      list.replaceChildren(...items.map(item => {
        const li = UI.el("li", { role: "option" }, item.text, UI.el("span", { className: "kind" }, item.kind));
        li.addEventListener("mousedown", e => { e.preventDefault(); accept(item); });
        return li;
      }));
      list.hidden = false;
      highlight(-1);
    };
    input.addEventListener("input", update);
    input.addEventListener("blur", () => setTimeout(close, 100));
    input.addEventListener("keydown", e => {
      if (!list.hidden && items.length > 0) {
        if (e.key === "ArrowDown") { e.preventDefault(); highlight((current + 1) % items.length); return; }
        if (e.key === "ArrowUp") { e.preventDefault(); highlight((current - 1 + items.length) % items.length); return; }
        if (e.key === "Escape") { e.preventDefault(); close(); return; }
        if ((e.key === "Tab" || e.key === "Enter") && current >= 0 && !e.ctrlKey) {
          e.preventDefault();
          accept(items[current]);
          return;
        }
      }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey || !e.shiftKey)) {
        e.preventDefault();
        close();
        execute();
      }
    });
  },
};
