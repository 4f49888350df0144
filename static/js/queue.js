// The ticket list refreshes its rows and tab counts from live.json (the same query string as
// the page), as the overview does. Rows are built with textContent only (window.desk). When a
// new ticket arrives it can beep (WebAudio) and show a browser notification: both opt-in,
// remembered in localStorage, off by default. Without this script the page works as before.
"use strict";

(() => {
  const root = document.getElementById("queue");
  if (!root) return;
  const { el, userText } = window.desk;
  // badge and postButton use `this`: called on window.desk.
  const badge = (...args) => window.desk.badge(...args);
  const postButton = (...args) => window.desk.postButton(...args);
  const rowsNode = root.querySelector('[data-role="rows"]');
  const table = root.querySelector('[data-role="table"]');
  const empty = root.querySelector('[data-role="empty"]');
  const total = root.querySelector('[data-role="total"]');
  const seen = new Set(
    Array.from(rowsNode.querySelectorAll("[data-ticket]"), (node) => node.dataset.ticket),
  );
  let newest = Number(root.dataset.newest) || 0;
  let last = null;
  let audio = null;
  const baseTitle = document.title;
  let unseen = 0;

  // ------------------------------------------------------------------ opt-in alerts
  const KEY = "desk.queue.alert.";
  const stored = (name) => {
    try {
      return window.localStorage.getItem(KEY + name) === "on";
    } catch (error) {
      return false; // storage refused (private mode): alerts stay off
    }
  };
  const store = (name, on) => {
    try {
      window.localStorage.setItem(KEY + name, on ? "on" : "off");
    } catch (error) {
      /* not remembered, still works for this page */
    }
  };
  const alerts = root.querySelector('[data-role="alerts"]');
  const boxes = {};
  for (const box of alerts.querySelectorAll("[data-alert]")) {
    boxes[box.dataset.alert] = box;
    box.checked = stored(box.dataset.alert);
  }
  if (!("Notification" in window)) boxes.notify.closest("label").hidden = true;
  alerts.hidden = false;

  function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.3);
  }

  boxes.sound.addEventListener("change", () => {
    store("sound", boxes.sound.checked);
    if (boxes.sound.checked) beep(); // a click lets the page play sound; the beep says how
  });
  boxes.notify.addEventListener("change", async () => {
    if (boxes.notify.checked && Notification.permission !== "granted") {
      const answer = await Notification.requestPermission();
      if (answer !== "granted") boxes.notify.checked = false;
    }
    store("notify", boxes.notify.checked);
  });

  function announce() {
    if (boxes.sound.checked) beep();
    if (boxes.notify.checked && "Notification" in window && Notification.permission === "granted") {
      new Notification("Support Desk", { body: "A new ticket arrived", tag: "desk-new-ticket" });
    }
  }

  // ------------------------------------------------------------------ rows and counts
  function cell(className, ...content) {
    const td = el("td", className);
    td.append(...content);
    return td;
  }

  function link(url, content) {
    const a = el("a", null, content);
    a.href = url;
    return a;
  }

  function ticketRow(t) {
    const tr = el("tr", `priority-row-${t.priority}`);
    tr.dataset.ticket = String(t.id);
    const from = [userText(t.sender)];
    if (t.username) {
      const muted = el("span", "muted", "@");
      muted.append(userText(t.username));
      from.push(" ", muted);
    }
    const priority = [badge("priority", t.priority, t.priority_label)];
    if (t.sla) priority.push(" ", badge("sla", t.sla.state, t.sla.label));
    const created = el("span", null, t.created);
    created.title = t.created_at;
    const actions = t.take_url ? [postButton(t.take_url, "Take", "btn btn-small")] : [];
    tr.append(
      cell("col-number", link(t.url, `#${t.number}`)),
      cell("col-text", link(t.url, userText(t.text))),
      cell("col-from", ...from),
      cell("col-status", badge("status", t.status, t.status_label)),
      cell("col-priority", ...priority),
      cell("col-assignee", t.assignee ? userText(t.assignee) : "—"),
      cell("col-created", created),
      cell("col-actions", ...actions),
    );
    if (!seen.has(String(t.id))) {
      seen.add(String(t.id));
      tr.classList.add("is-new");
    }
    return tr;
  }

  function renderCounts(counts) {
    for (const node of root.querySelectorAll("[data-count]")) {
      const value = String(counts[node.dataset.count] ?? 0);
      if (node.textContent !== value) {
        node.textContent = value;
        node.classList.remove("is-changed");
        void node.offsetWidth; // restart the animation
        node.classList.add("is-changed");
      }
    }
  }

  // A keyboard user tabbing through the rows keeps their place when the rows are rebuilt
  // (the SLA labels change every minute): the same ticket's same link or button.
  function focusedPlace() {
    const active = document.activeElement;
    if (!active || !rowsNode.contains(active)) return null;
    const row = active.closest("[data-ticket]");
    const td = active.closest("td");
    return row && td ? { ticket: row.dataset.ticket, column: td.className } : null;
  }

  function restoreFocus(place) {
    if (!place) return;
    const row = rowsNode.querySelector(`[data-ticket="${CSS.escape(place.ticket)}"]`);
    const td = row && row.querySelector(`td[class="${CSS.escape(place.column)}"]`);
    const target = td && td.querySelector("a, button");
    if (target) target.focus();
  }

  function render(data) {
    const json = JSON.stringify([data.rows, data.counts, data.total]);
    if (json !== last) {
      last = json;
      const kept = focusedPlace();
      rowsNode.replaceChildren(...data.rows.map(ticketRow));
      restoreFocus(kept);
      table.hidden = !data.rows.length;
      empty.hidden = Boolean(data.rows.length);
      if (total) total.textContent = `${data.total} ticket${data.total === 1 ? "" : "s"}`;
      renderCounts(data.counts);
    }
    if (data.newest && data.newest > newest) {
      newest = data.newest;
      if (document.hidden) unseen += 1;
      document.title = unseen ? `(${unseen} new) ${baseTitle}` : baseTitle;
      announce();
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      unseen = 0;
      document.title = baseTitle;
    }
  });

  window.desk.poll(
    root.dataset.liveUrl,
    Number(root.dataset.pollMs) || 5000,
    render,
    root.querySelector('[data-role="live-state"]'),
  );
})();
