// The overview refreshes its bot line, late-pages notice, counts, on-call block and recent
// tickets from live.json. Only those blocks are rebuilt, so nothing else on the page (a
// half-typed search, an open form) is disturbed.
"use strict";

(() => {
  const root = document.getElementById("overview");
  if (!root) return;
  const { el, userText, names } = window.desk;
  const seen = new Set(
    Array.from(root.querySelectorAll("[data-ticket]"), (node) => node.dataset.ticket),
  );
  const last = {};
  const baseTitle = document.title;
  let unseen = 0;

  function changed(key, value) {
    const json = JSON.stringify(value);
    if (last[key] === json) return false;
    last[key] = json;
    return true;
  }

  function renderBot(bot) {
    const box = document.getElementById("bot-presence");
    if (!box) return;
    const seen = document.createElement("span");
    seen.dataset.role = "bot-seen";
    seen.textContent = bot.label;
    box.className = bot.silent ? "bot-presence flash flash-warning" : "bot-presence muted";
    if (bot.silent) {
      const strong = document.createElement("strong");
      strong.textContent = "The bot is silent";
      box.replaceChildren(strong, " (last seen: ", seen, "): nobody is paged until it runs again.");
    } else {
      box.replaceChildren("Bot last seen: ", seen);
    }
  }

  function renderLate(late) {
    const box = document.getElementById("late");
    if (!box) return;
    if (!late) {
      box.replaceChildren();
      return;
    }
    const notice = el("p", "notice notice-warning", late.text);
    notice.dataset.role = "late";
    box.replaceChildren(notice);
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

  function renderOnCall(data) {
    const now = el("div", "oncall-now");
    now.append(el("p", "eyebrow", data.slot ? `Now · ${data.slot}` : "Now"));
    const primary = el(
      "p",
      data.primary ? "oncall-primary" : "oncall-primary is-empty",
      data.primary ? userText(data.primary) : "Nobody can be paged",
    );
    primary.dataset.role = "primary";
    now.append(primary);
    if (data.backups.length) {
      const backups = el("p", "oncall-backups", "Backups: ");
      backups.append(...names(data.backups));
      now.append(backups);
    }
    // The notice's text comes from the server (desk/reach.py), as in templates/_oncall.html.
    if (data.alert) {
      const alert = el("p", `notice notice-${data.alert.level}`, data.alert.text);
      alert.dataset.role = "oncall-alert";
      now.append(alert);
    }
    // Each name in "skipped" comes isolated already (FSI … PDI), inside a line of ours.
    if (data.skipped.length) now.append(el("p", "hint", `Skipped: ${data.skipped.join(", ")}`));
    const blocks = [now];
    if (data.next) {
      const next = el("div", "oncall-next");
      next.append(el("p", "eyebrow", `Next · ${data.next.at}`));
      const line = el("p");
      line.append(
        el("strong", null, data.next.primary ? userText(data.next.primary) : "Nobody can be paged"),
      );
      if (data.next.backups.length) line.append(", then ", ...names(data.next.backups));
      next.append(line);
      if (data.next.alert) {
        const alert = el("p", `hint hint-${data.next.alert.level}`, data.next.alert.text);
        alert.dataset.role = "next-alert";
        next.append(alert);
      }
      blocks.push(next);
    }
    document.getElementById("oncall").replaceChildren(...blocks);
  }

  function ticketItem(t) {
    const item = el("li", "ticket-item");
    item.dataset.ticket = String(t.id);
    const link = el("a", "ticket-link");
    link.href = t.url;
    link.append(
      el("span", "ticket-number", `#${t.number}`),
      el("span", "ticket-preview", userText(t.preview)),
    );
    const meta = el("div", "ticket-meta");
    meta.append(
      window.desk.badge("status", t.status, t.status_label),
      window.desk.badge("priority", t.priority, t.priority_label),
    );
    if (t.sla) meta.append(window.desk.badge("sla", t.sla.state, t.sla.label));
    // Non-breaking spaces keep each "·" with the word before it when the line wraps.
    const text = el("span", "meta-text");
    text.append(
      userText(t.sender),
      "\u00a0· ",
      t.assignee ? userText(t.assignee) : "unassigned",
      `\u00a0· ${t.age}`,
    );
    text.title = t.created;
    meta.append(text);
    item.append(link, meta);
    if (t.take_url) {
      const take = window.desk.postButton(t.take_url, "Take", "btn btn-small");
      take.className = "ticket-action";
      item.append(take);
    }
    if (!seen.has(String(t.id))) {
      seen.add(String(t.id));
      item.classList.add("is-new");
      if (document.hidden) unseen += 1;
    }
    return item;
  }

  function renderRecent(rows) {
    const list = document.getElementById("recent");
    if (!rows.length) return;
    list.replaceChildren(...rows.map(ticketItem));
    document.title = unseen ? `(${unseen} new) ${baseTitle}` : baseTitle;
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
    (data) => {
      if (changed("bot", data.bot)) renderBot(data.bot);
      if (changed("late", data.late)) renderLate(data.late);
      if (changed("counts", data.counts)) renderCounts(data.counts);
      if (changed("on_call", data.on_call)) renderOnCall(data.on_call);
      if (changed("recent", data.recent)) renderRecent(data.recent);
    },
    root.querySelector('[data-role="live-state"]'),
  );
})();
