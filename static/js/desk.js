// Small behaviours shared by every page. The pages work without this script.
"use strict";

document.addEventListener("submit", (event) => {
  // Destructive buttons ask first (forms carry data-confirm="Remove the slot?").
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  // Filter selects apply at once; the Filter button stays for keyboards and no-JS.
  const field = event.target;
  if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.requestSubmit();
  }
});

// Helpers for the live scripts: DOM built with textContent only, never from HTML strings,
// so nothing a Telegram user wrote can become markup.
window.desk = {
  // `content` is a text or a node (a userText) to put inside.
  el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content instanceof Node) node.append(content);
    else if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  },
  // What a user wrote (a ticket text, a name), in a <bdi> as the server's `user_text` filter
  // renders it: it runs in its own direction and leaves the words around it in their order.
  // The JSON carries it with its control characters already shown (user_text.py).
  userText(text) {
    return window.desk.el("bdi", null, text);
  },
  // Names joined by ", ", each in its own <bdi>: nodes to append.
  names(people) {
    return people.flatMap((name, i) => [...(i ? [", "] : []), window.desk.userText(name)]);
  },
  csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  postButton(action, label, className) {
    const form = this.el("form", "inline-form");
    form.method = "post";
    form.action = action;
    const token = this.el("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = this.csrfToken();
    const button = this.el("button", className, label);
    button.type = "submit";
    form.append(token, button);
    return form;
  },
  badge(kind, value, label) {
    const node = this.el("span", `badge ${kind}-${value}`, label);
    node.dataset.role = kind;
    return node;
  },
  // Keep a live page fresh: fetch `url` (its live.json) whenever the desk's mark moves, and
  // every `interval` ms for what time alone changes; `onData` gets the parsed JSON. The mark
  // (GET /live/mark, desk/live_marks.py) is asked every data-mark-ms and costs the database
  // next to nothing, so a new ticket shows within about half a second. Pauses while the tab
  // is hidden and looks at once when it comes back, so a laptop lid does not queue requests.
  poll(url, interval, onData, stateNode) {
    const body = document.body.dataset;
    const markUrl = body.markUrl;
    const markMs = Number(body.markMs) || 500;
    let lastMark = body.liveMark === undefined ? null : Number(body.liveMark);
    let dueAt = Date.now() + interval;
    let timer = null;
    const setState = (text, stale) => {
      if (!stateNode) return;
      stateNode.textContent = text;
      stateNode.classList.toggle("is-stale", Boolean(stale));
    };
    const fetchJson = async (address) => {
      const response = await fetch(address, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401 || response.status === 403) return null;
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    };
    const tick = async () => {
      timer = null;
      try {
        let refresh = Date.now() >= dueAt || !markUrl;
        let mark = lastMark;
        if (markUrl) {
          const answer = await fetchJson(markUrl);
          if (answer === null) {
            setState("Logged out: reload the page", true);
            return; // nothing more to fetch until the user logs in again
          }
          mark = answer.mark;
          refresh = refresh || mark !== lastMark;
        }
        if (refresh) {
          // The mark was read before the data: a change committed meanwhile moves it again.
          const data = await fetchJson(url);
          if (data === null) {
            setState("Logged out: reload the page", true);
            return;
          }
          onData(data);
          lastMark = mark;
          dueAt = Date.now() + interval;
        }
        setState("Live", false);
      } catch (error) {
        setState("Reconnecting…", true);
      }
      if (!document.hidden) timer = window.setTimeout(tick, markUrl ? markMs : interval);
    };
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && timer === null) {
        dueAt = 0; // back from hiding: whatever changed meanwhile, fetch it now
        tick();
      }
    });
    timer = window.setTimeout(tick, markUrl ? markMs : interval);
  },
};
