// The ticket page keeps its thread and badges current (answers and pages go pending → sent or
// failed, and a waiting page says for how long) without reloading, and never touches the answer
// being written. The draft survives a reload, an ended session and any error, in localStorage.
"use strict";

(() => {
  const root = document.getElementById("ticket");
  if (!root) return;
  const { el, userText } = window.desk;

  // The answer being written is kept in localStorage, per user and ticket, until the server
  // confirms it: the redirect after a saved answer names the draft (#sent-<id>). A submit that
  // never got there (the session ended, a logout in another tab, an error page) leaves it, and
  // this page restores it, saying that it was not sent yet.
  const textarea = root.querySelector("textarea[data-draft-key]");
  if (textarea) {
    const key = `desk-draft-${root.dataset.user}-${textarea.dataset.draftKey}`;
    const counter = root.querySelector('[data-role="counter"]');
    const notice = root.querySelector('[data-role="draft-notice"]');
    const count = () => {
      if (!counter) return;
      const max = textarea.maxLength.toLocaleString("en");
      const left = (textarea.maxLength - textarea.value.length).toLocaleString("en");
      // The box counts as Telegram does (UTF-16 code units); past one message the bot sends
      // the answer in numbered parts, which the counter says before it is sent.
      const inParts = textarea.value.length > Number(textarea.dataset.part || Infinity);
      const parts = inParts ? " · sent in numbered parts" : "";
      counter.textContent = textarea.value ? `${left} of ${max} characters left${parts}` : `Up to ${max} characters`;
    };
    const read = () => {
      try {
        return JSON.parse(localStorage.getItem(key)) || null;
      } catch {
        return null;
      }
    };
    const write = (draft) => {
      try {
        if (draft) localStorage.setItem(key, JSON.stringify(draft));
        else localStorage.removeItem(key);
      } catch {
        // Storage full or disabled: the text is still in the box.
      }
    };
    const newId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    let draft = read();
    const sent = location.hash.startsWith("#sent-") ? location.hash.slice(6) : null;
    if (sent) {
      if (draft && draft.id === sent) write((draft = null));
      history.replaceState(null, "", location.pathname + location.search + "#thread-end");
      document.getElementById("thread-end")?.scrollIntoView();
    }
    if (draft && draft.text && !textarea.value) {
      textarea.value = draft.text;
      if (draft.submitted && notice) {
        notice.hidden = false;
        notice.textContent = "Your answer was not sent yet: it was kept in this browser and is restored below. Send it again.";
      }
    }
    textarea.addEventListener("input", () => {
      draft = textarea.value ? { id: draft?.id || newId(), text: textarea.value, submitted: false } : null;
      write(draft);
      count();
    });
    const field = textarea.form.querySelector('input[name="draft"]');
    textarea.form.addEventListener("submit", () => {
      if (!textarea.value) return;
      draft = { id: draft?.id || newId(), text: textarea.value, submitted: true };
      write(draft);
      if (field) field.value = draft.id;
    });
    count();
    // A note is for the team only: the button and the box say so before it is sent.
    const noteSwitch = textarea.form.querySelector('[data-role="note-switch"]');
    const submit = textarea.form.querySelector('[data-role="answer-submit"]');
    if (noteSwitch && submit) {
      const mark = () => {
        submit.textContent = noteSwitch.checked ? "Save note" : "Send answer";
        textarea.form.classList.toggle("is-note", noteSwitch.checked);
      };
      noteSwitch.addEventListener("change", mark);
      mark();
    }
    savedReplies(textarea);
    // Ctrl+Enter (Cmd+Enter on a Mac) sends, through the same submit as the button.
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
        event.preventDefault();
        textarea.form.requestSubmit();
      }
    });
  }

  // Saved replies, filled in for this ticket by the server: a picker inserts one where the
  // cursor is; "/" and a few letters of a title, alone in the box, offer the matching ones
  // (arrows to choose, Enter or Tab to take one in place of what was typed, Escape to close).
  function savedReplies(box) {
    const data = document.getElementById("saved-replies");
    if (!data) return;
    const replies = JSON.parse(data.textContent);
    const picker = root.querySelector('[data-role="reply-picker"]');
    const list = document.getElementById("reply-suggestions");
    let shown = [];
    let active = 0;
    const take = (reply, replacing) => {
      if (replacing) box.value = reply.body;
      else box.setRangeText(reply.body, box.selectionStart, box.selectionEnd, "end");
      box.dispatchEvent(new Event("input", { bubbles: true })); // the draft keeps it
      box.focus();
    };
    if (picker) {
      picker.addEventListener("change", () => {
        const reply = replies.find((r) => String(r.id) === picker.value);
        picker.value = "";
        if (reply) take(reply, false);
      });
    }
    const close = () => {
      shown = [];
      list.hidden = true;
      list.replaceChildren();
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    };
    const render = () => {
      list.replaceChildren(
        ...shown.map((reply, i) => {
          const item = el("li", i === active ? "is-active" : "", userText(reply.title));
          item.id = `reply-option-${reply.id}`;
          item.setAttribute("role", "option");
          item.setAttribute("aria-selected", String(i === active));
          item.addEventListener("mousedown", (event) => {
            event.preventDefault(); // keeps the focus in the box
            take(reply, true);
            close();
          });
          return item;
        }),
      );
      list.hidden = !shown.length;
      box.setAttribute("aria-expanded", String(Boolean(shown.length)));
      if (shown.length) box.setAttribute("aria-activedescendant", `reply-option-${shown[active].id}`);
    };
    box.setAttribute("aria-controls", list.id);
    box.addEventListener("input", () => {
      const typed = box.value;
      if (!typed.startsWith("/") || typed.includes("\n")) return close();
      const query = typed.slice(1).trim().toLowerCase();
      shown = replies.filter((r) => r.title.toLowerCase().includes(query)).slice(0, 8);
      active = 0;
      render();
    });
    box.addEventListener("keydown", (event) => {
      if (!shown.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        render();
      } else if ((event.key === "Enter" && !event.ctrlKey && !event.metaKey) || event.key === "Tab") {
        event.preventDefault();
        take(shown[active], true);
        close();
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    box.addEventListener("blur", close);
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
    if (entry.files && entry.files.length) item.append(fileList(entry.files));
    if (entry.state) item.append(stateLine(entry));
    return item;
  }

  // The files a user sent, as the server's _entry.html draws them: images as thumbnails,
  // the rest as downloads, a file too big for the bot by its name and size.
  function fileList(files) {
    const list = el("ul", "entry-files");
    list.dataset.role = "files";
    for (const file of files) {
      const item = el("li", file.image ? "file file-image" : "file");
      if (file.image) {
        const link = el("a");
        link.href = file.url;
        link.target = "_blank";
        link.rel = "noopener";
        const image = el("img", "thumb");
        image.src = file.url;
        image.alt = file.name;
        image.loading = "lazy";
        link.append(image);
        item.append(link);
      } else if (file.url) {
        const link = el("a");
        link.href = file.url;
        link.download = "";
        link.append("📎 ", userText(file.name));
        item.append(link, " ", el("span", "file-size", file.size));
      } else {
        const missing = el("span", "file-missing");
        missing.append("📎 ", userText(file.name), " ", el("span", "file-size", file.size), `: ${file.missing}`);
        item.append(missing);
      }
      list.append(item);
    }
    return list;
  }

  function updateEntry(node, entry) {
    // A user's edit in Telegram changes the text of a message already shown.
    const what = node.querySelector(".entry-what");
    if (what && what.textContent !== entry.what) what.textContent = entry.what;
    const text = node.querySelector(".entry-text");
    if (text && entry.text && text.textContent !== entry.text) {
      text.replaceChildren(userText(entry.text));
    }
    // The files of a message arrive after it: the bot uploads them once it is filed.
    const files = node.querySelector('[data-role="files"]');
    const count = entry.files ? entry.files.length : 0;
    if (count !== (files ? files.children.length : 0)) {
      if (files) files.remove();
      if (count) (text || node.querySelector(".entry-head")).after(fileList(entry.files));
    }
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
    const sla = state.querySelector('[data-role="sla-slot"]');
    sla.replaceChildren(...(data.sla ? [window.desk.badge("sla", data.sla.state, data.sla.label)] : []));
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
