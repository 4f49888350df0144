// The ticket page keeps its thread and badges current (answers and pages go pending → sent or
// failed, and a waiting page says for how long) without reloading, and never touches the answer
// being written. The draft also survives a reload or a failed submit, in sessionStorage.
"use strict";

(() => {
  const root = document.getElementById("ticket");
  if (!root) return;
  const { el, userText } = window.desk;

  const textarea = root.querySelector("textarea[data-draft-key]");
  if (textarea) {
    const key = `desk-draft-${textarea.dataset.draftKey}`;
    const counter = root.querySelector('[data-role="counter"]');
    const count = () => {
      if (!counter) return;
      const max = textarea.maxLength.toLocaleString("en");
      const left = (textarea.maxLength - textarea.value.length).toLocaleString("en");
      counter.textContent = textarea.value ? `${left} of ${max} characters left` : `Up to ${max} characters`;
    };
    if (!textarea.value && sessionStorage.getItem(key)) textarea.value = sessionStorage.getItem(key);
    textarea.addEventListener("input", () => {
      sessionStorage.setItem(key, textarea.value);
      count();
    });
    textarea.form.addEventListener("submit", () => sessionStorage.removeItem(key));
    count();
  }

  function stateLine(entry) {
    const line = el("div", "entry-state");
    const badge = el("span", `badge state-${entry.state}`, entry.state_label);
    badge.dataset.role = "state";
    line.append(badge);
    if (entry.waited) {
      const waited = el("span", "entry-waited", entry.waited);
      waited.dataset.role = "waited";
      line.append(waited);
    }
    if (entry.detail) {
      const detail = el("span", "entry-detail", entry.detail);
      detail.dataset.role = "detail";
      line.append(detail);
    }
    if (entry.retry_url) {
      const retry = window.desk.postButton(entry.retry_url, "Retry delivery", "btn btn-small");
      retry.dataset.role = "retry";
      line.append(retry);
    }
    return line;
  }

  function entryNode(entry) {
    const item = el("li", `entry entry-${entry.kind}`);
    item.id = entry.key;
    const head = el("div", "entry-head");
    const time = el("time", "entry-time", entry.at);
    time.dateTime = entry.iso;
    // `what` is a line of ours; a name in it comes isolated already (FSI … PDI).
    head.append(
      el("strong", "entry-who", userText(entry.who)),
      el("span", "entry-what", entry.what),
      time,
    );
    item.append(head);
    if (entry.text) item.append(el("div", "entry-text", userText(entry.text)));
    if (entry.state) item.append(stateLine(entry));
    return item;
  }

  function updateEntry(node, entry) {
    const old = node.querySelector(".entry-state");
    if (!entry.state) return;
    const badge = old && old.querySelector('[data-role="state"]');
    const detail = old && old.querySelector('[data-role="detail"]');
    const waited = old && old.querySelector('[data-role="waited"]');
    const same =
      badge && badge.textContent === entry.state_label &&
      (detail ? detail.textContent : null) === (entry.detail || null) &&
      (waited ? waited.textContent : null) === (entry.waited || null) &&
      Boolean(old.querySelector('[data-role="retry"]')) === Boolean(entry.retry_url);
    if (same) return;
    if (old) old.replaceWith(stateLine(entry));
    else node.append(stateLine(entry));
  }

  function renderThread(entries) {
    const thread = document.getElementById("thread");
    for (const entry of entries) {
      const node = document.getElementById(entry.key);
      if (node) {
        updateEntry(node, entry);
      } else {
        const added = entryNode(entry);
        added.classList.add("is-new");
        thread.append(added);
      }
    }
  }

  function renderState(data) {
    const state = document.getElementById("ticket-state");
    const status = state.querySelector('[data-role="status"]');
    status.replaceWith(window.desk.badge("status", data.status, data.status_label));
    const priority = state.querySelector('[data-role="priority"]');
    priority.replaceWith(window.desk.badge("priority", data.priority, data.priority_label));
    state
      .querySelector('[data-role="assignee"]')
      .replaceChildren(data.assignee ? userText(data.assignee) : "nobody");
  }

  window.desk.poll(
    root.dataset.liveUrl,
    Number(root.dataset.pollMs) || 5000,
    (data) => {
      renderState(data);
      renderThread(data.thread);
    },
    root.querySelector('[data-role="live-state"]'),
  );
})();
