// The review interface, browser side: draws the segment the session sends and sends back
// what the person does. All decisions are made and saved on the Python side.

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];

function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function highlight(text, cues) {
  const words = (cues || []).filter((c) => c.length >= 3).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const safe = escape(text);
  if (!words.length) return safe;
  const pattern = new RegExp(`(?<![\\p{L}])(${words.map(escape).join("|")})(?![\\p{L}])`, "giu");
  return safe.replace(pattern, "<mark>$1</mark>");
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "html") node.innerHTML = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function render({ model, el }) {
  const root = element("div", { class: "enq-review", tabindex: "0", "data-lm-suppress-shortcuts": "true" });
  el.append(root);
  let selected = new Set();
  let shownId = null;

  const t = (key, values = {}) => String(model.get("texts")[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  const send = (message) => model.send(message);
  const validate = () => {
    const comment = root.querySelector("textarea")?.value ?? "";
    send({ type: "decide", codes: [...selected], comment });
  };
  const toggle = (code) => {
    selected.has(code) ? selected.delete(code) : selected.add(code);
    draw();
  };

  function filters() {
    const options = model.get("options");
    const current = model.get("filters");
    const select = (name, all, items) =>
      element(
        "select",
        { "aria-label": all, onchange: (e) => send({ type: "filter", [name]: e.target.value }) },
        [element("option", { value: "", text: all }), ...items.map((o) => {
          const option = element("option", { value: o.id, text: o.label });
          if (current[name] === o.id) option.selected = true;
          return option;
        })],
      );
    const uncertain = element("input", { type: "checkbox", onchange: (e) => send({ type: "filter", uncertain: e.target.checked }) });
    uncertain.checked = !!current.uncertain;
    return element("div", { class: "enq-filters" }, [
      select("code", t("all_codes"), options.codes),
      select("document", t("all_documents"), options.documents.map((d) => ({ id: d, label: d }))),
      select("initiative", t("all_initiatives"), options.initiatives),
      element("label", {}, [uncertain, document.createTextNode(" " + t("uncertain"))]),
    ]);
  }

  function context(turns, where) {
    return element("div", { class: `enq-context enq-${where}` }, turns.map((turn) =>
      element("p", { class: `enq-turn enq-role-${turn.role}` }, [
        element("span", { class: "enq-speaker", text: turn.speaker ? `${turn.speaker} : ` : "" }),
        element("span", { text: turn.text }),
      ])));
  }

  function draw() {
    const item = model.get("item");
    const progress = model.get("progress");
    root.replaceChildren();
    const share = progress.total ? (100 * progress.decided) / progress.total : 0;
    root.append(element("header", {}, [
      element("h3", { text: t("title") }),
      element("div", { class: "enq-progress", role: "progressbar", "aria-valuenow": String(progress.decided), "aria-valuemax": String(progress.total) }, [
        element("div", { class: "enq-bar", style: `width:${share}%` }),
      ]),
      element("p", { class: "enq-count", text: t("progress", progress) + (progress.refits ? ` · ${t("refits", { n: progress.refits })}` : "") }),
      filters(),
    ]));
    if (!item) {
      root.append(element("p", { class: "enq-empty", text: progress.total && progress.decided >= progress.total ? t("finished") : t("empty") }));
      root.append(element("p", { class: "enq-status", text: model.get("status") }));
      return;
    }
    if (item.segment_id !== shownId) {
      shownId = item.segment_id;
      selected = new Set(item.codes.filter((c) => c.on).map((c) => c.id));
    }
    root.append(context(item.before, "before"));
    root.append(element("div", { class: "enq-current" }, [
      element("p", { class: "enq-meta", text: [item.document, item.initiative, item.speaker].filter(Boolean).join(" · ") + ` — ${item.position + 1}/${item.shown}` }),
      element("p", { class: "enq-text", html: highlight(item.text, item.cues) }),
    ]));
    root.append(context(item.after, "after"));
    root.append(element("div", { class: "enq-codes" }, item.codes.map((code, i) =>
      element("button", {
        class: `enq-code${selected.has(code.id) ? " on" : ""}${code.suggested ? " suggested" : ""}`,
        style: `--code-color:${code.color}`,
        "data-code": code.id,
        "aria-pressed": String(selected.has(code.id)),
        title: `${t("score")} ${code.score_text}${code.suggested ? " · " + t("suggested") : ""}`,
        onclick: () => toggle(code.id),
      }, [
        element("kbd", { text: KEYS[i] ?? "" }),
        element("span", { class: "enq-label", text: code.label }),
        element("span", { class: "enq-score", style: `width:${Math.round(100 * code.score)}%` }),
      ]))));
    root.append(element("details", { class: "enq-why", open: "" }, [
      element("summary", { text: `${t("why")} : ${item.draw === "random" ? t("random") : item.why}${item.decided ? " · " + t("decided") : ""}` }),
      element("p", { class: "enq-evidence-title", text: t("evidence") }),
      element("ul", {}, item.evidence.map((e) => element("li", { text: e }))),
    ]));
    const comment = element("textarea", { rows: "2", placeholder: t("comment"), "aria-label": t("comment") });
    comment.value = item.comment || "";
    root.append(comment);
    root.append(element("footer", {}, [
      element("button", { class: "enq-move", onclick: () => send({ type: "move", step: -1 }), text: t("previous") }),
      element("button", { class: "enq-validate", onclick: validate, text: t("validate") }),
      element("button", { class: "enq-move", onclick: () => send({ type: "move", step: 1 }), text: t("next") }),
    ]));
    root.append(element("p", { class: "enq-status", role: "status", text: model.get("status") }));
    root.append(element("p", { class: "enq-keys", text: t("keys") }));
  }

  const onKey = (event) => {
    const typing = event.target.tagName === "TEXTAREA" || event.target.tagName === "SELECT" || event.target.tagName === "INPUT";
    if (typing) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA") {
        event.preventDefault();
        validate();
      }
      event.stopPropagation();
      return;
    }
    const item = model.get("item");
    const index = KEYS.indexOf(event.key);
    if (item && index >= 0 && index < item.codes.length) toggle(item.codes[index].id);
    else if (event.key === "Enter" && item) validate();
    else if (event.key === "ArrowRight") send({ type: "move", step: 1 });
    else if (event.key === "ArrowLeft") send({ type: "move", step: -1 });
    else return;
    event.preventDefault();
    event.stopPropagation();
  };
  root.addEventListener("keydown", onKey);
  // in a page of its own (Voilà), keys typed before anything is clicked reach the page's body
  const fromBody = (event) => document.activeElement === document.body && root.isConnected && onKey(event);
  document.addEventListener("keydown", fromBody);

  const redraw = () => {
    const typing = root.contains(document.activeElement) && document.activeElement.tagName === "TEXTAREA";
    draw();
    if (!typing) root.focus({ preventScroll: true });
  };
  for (const name of ["item", "progress", "status", "options", "filters"]) model.on(`change:${name}`, redraw);
  draw();
  requestAnimationFrame(() => root.focus({ preventScroll: true }));
  return () => document.removeEventListener("keydown", fromBody);
}

export default { render };
