// The Slack sandbox page: polls the control API about once a second and renders
// channels, messages, Block Kit cards and threads. Every piece of message text goes
// through textContent, never parsed as HTML: it comes from people and must stay text.
"use strict";

(function () {
  const POLL_MS = 1000;
  const state = {
    channel: null,       // {id, name}
    users: [],           // human users
    names: {},           // user id -> name
    threadTs: null,      // where the composer posts; null = the channel
    lastRendered: "",
    home: false,         // showing the app's Home tab instead of a channel
    modalKey: "",        // id+hash+errors of the modal on screen
    modal: null,         // that modal's view
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    const response = await fetch("api/" + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = data && data.error ? data.error.message : response.statusText;
      throw new Error(message);
    }
    return data;
  }

  function setStatus(message) { $("status").textContent = message; }

  // Slack's wire text escapes & < > and marks mentions and links as <@U…>, <#C…|name>,
  // <!subteam^…|handle>, <!here>, <url|label>. Shown the way the Slack client shows
  // them; anything else between < and > is left as it is. The result is only ever text.
  const CONTROL = /<([@#!][^<>]*|(?:https?|mailto|tel):[^<>]*)>/g;

  function displayText(raw) {
    const text = String(raw || "").replace(CONTROL, (whole, inner) => {
      const [target, label] = inner.split("|", 2);
      if (target.startsWith("@")) return "@" + (state.names[target.slice(1)] || target.slice(1));
      if (target.startsWith("#")) return "#" + (label || target.slice(1));
      if (target.startsWith("!subteam^")) return "@" + (label || target.slice(9));
      if (target.startsWith("!")) return "@" + target.slice(1);
      return label || target;
    });
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function textOf(obj) { return obj && typeof obj === "object" ? displayText(obj.text) : ""; }

  function actingUser() { return $("as-user").value; }

  function button(element, message) {
    const node = el("button", element.style || "", textOf(element.text));
    node.type = "button";
    if (!message) {
      node.disabled = true;  // buttons in views are shown, not clickable, in the sandbox
      return node;
    }
    node.addEventListener("click", async () => {
      setStatus("Clicking " + textOf(element.text) + "…");
      try {
        const answer = await api("click", {
          user: actingUser(), channel: state.channel.id, ts: message.ts,
          action_id: element.action_id, value: element.value,
        });
        setStatus("The app answered HTTP " + answer.status);
      } catch (error) { setStatus("Click failed: " + error.message); }
      refresh();
    });
    return node;
  }

  function renderBlock(block, message) {
    switch (block.type) {
      case "header": return el("div", "block-header", textOf(block.text));
      case "divider": return el("hr");
      case "section": {
        const node = el("div", "block-section");
        if (block.text) node.appendChild(el("div", "text", textOf(block.text)));
        if (Array.isArray(block.fields)) {
          const fields = el("div", "block-fields");
          block.fields.forEach((f) => fields.appendChild(el("div", "text", textOf(f))));
          node.appendChild(fields);
        }
        if (block.accessory && block.accessory.type === "button") {
          const acc = button(block.accessory, message);
          acc.classList.add("accessory");
          node.appendChild(acc);
        }
        return node;
      }
      case "context": {
        const node = el("div", "block-context");
        (block.elements || []).forEach((e) => {
          node.appendChild(el("span", "", e.type === "image" ? "[" + (e.alt_text || "image") + "] " : textOf(e) + " "));
        });
        return node;
      }
      case "actions": {
        const node = el("div", "block-actions");
        (block.elements || []).forEach((e) => {
          if (e.type === "button") node.appendChild(button(e, message));
          else node.appendChild(el("span", "block-context", "[" + e.type + "]"));
        });
        return node;
      }
      case "markdown": return el("div", "text", displayText(block.text));
      default: return el("div", "block-context", "[" + block.type + " block]");
    }
  }

  function renderMessage(message, isReply) {
    const item = el("li", "message" + (message.ephemeral_to ? " ephemeral" : ""));
    const meta = el("div", "meta");
    const author = message.bot_id ? "supportbot" : (state.names[message.user] || message.user);
    meta.appendChild(el("span", "author", author));
    if (message.bot_id) meta.appendChild(el("span", "app-badge", "APP"));
    meta.appendChild(el("time", "", new Date(parseFloat(message.ts) * 1000).toLocaleTimeString()));
    if (message.ephemeral_to) meta.appendChild(el("span", "", "Only visible to you"));
    item.appendChild(meta);
    if (Array.isArray(message.blocks) && message.blocks.length) {
      message.blocks.forEach((b) => item.appendChild(renderBlock(b, message)));
    } else {
      item.appendChild(el("div", "text", displayText(message.text)));
    }
    if (!isReply && !message.ephemeral_to) {
      const reply = el("button", "reply-link", "Reply in thread");
      reply.type = "button";
      reply.addEventListener("click", () => setThread(message));
      item.appendChild(reply);
    }
    return item;
  }

  function setThread(message) {
    state.threadTs = message ? message.ts : null;
    $("thread-target").hidden = !message;
    $("thread-label").textContent = message ? "on “" + displayText(message.text).slice(0, 60) + "”" : "";
    if (message) $("post-text").focus();
  }

  function visible(message) {
    return !message.ephemeral_to || message.ephemeral_to === actingUser();
  }

  function renderMessages(messages) {
    const list = $("messages");
    list.replaceChildren();
    const replies = {};
    messages.filter((m) => m.thread_ts && m.thread_ts !== m.ts && visible(m)).forEach((m) => {
      (replies[m.thread_ts] = replies[m.thread_ts] || []).push(m);
    });
    messages.filter((m) => (!m.thread_ts || m.thread_ts === m.ts) && visible(m)).forEach((m) => {
      const item = renderMessage(m, false);
      const thread = replies[m.ts];
      if (thread) {
        const ol = el("ol", "thread");
        thread.forEach((r) => ol.appendChild(renderMessage(r, true)));
        item.appendChild(ol);
      }
      list.appendChild(item);
    });
  }

  // -- App Home and modals --------------------------------------------------------
  function renderHome(view) {
    const box = $("home");
    box.replaceChildren();
    if (!view) {
      box.appendChild(el("p", "hint", "The app has not published a Home tab for this person yet."));
      return;
    }
    (view.blocks || []).forEach((b) => box.appendChild(renderBlock(b, null)));
  }

  function inputElement(block) {
    const element = block.element || {};
    let node;
    if (element.type === "static_select") {
      node = el("select");
      (element.options || []).forEach((option) => {
        const choice = el("option", "", textOf(option.text));
        choice.value = option.value;
        node.appendChild(choice);
      });
    } else if (element.type === "plain_text_input") {
      node = el(element.multiline ? "textarea" : "input");
      if (element.initial_value) node.value = element.initial_value;
      if (element.placeholder) node.placeholder = textOf(element.placeholder);
    } else {
      return el("span", "block-context", "[" + element.type + "]");
    }
    node.id = "input-" + block.block_id;
    node.dataset.blockId = block.block_id;
    node.dataset.actionId = element.action_id;
    node.dataset.kind = element.type;
    return node;
  }

  function renderModal(view) {
    $("modal-title").textContent = textOf(view.title);
    $("modal-submit").textContent = view.submit ? textOf(view.submit) : "Submit";
    $("modal-submit").hidden = !view.submit;
    $("modal-cancel").textContent = view.close ? textOf(view.close) : "Cancel";
    const box = $("modal-blocks");
    box.replaceChildren();
    (view.blocks || []).forEach((block) => {
      if (block.type !== "input") { box.appendChild(renderBlock(block, null)); return; }
      const wrap = el("div", "input-block");
      const label = el("label", "", textOf(block.label));
      label.htmlFor = "input-" + block.block_id;
      wrap.appendChild(label);
      wrap.appendChild(inputElement(block));
      const error = (view.errors || {})[block.block_id];
      if (error) wrap.appendChild(el("div", "field-error", error));
      box.appendChild(wrap);
    });
  }

  function modalValues(view) {
    const values = {};
    document.querySelectorAll("#modal-blocks [data-block-id]").forEach((node) => {
      const entry = node.dataset.kind === "static_select"
        ? { type: "static_select", selected_option: optionOf(view, node) }
        : { type: node.dataset.kind, value: node.value };
      values[node.dataset.blockId] = { [node.dataset.actionId]: entry };
    });
    return values;
  }

  function optionOf(view, node) {
    const block = (view.blocks || []).find((b) => b.block_id === node.dataset.blockId);
    return ((block && block.element.options) || []).find((o) => o.value === node.value) || null;
  }

  async function refreshViews() {
    const data = await api("views?user=" + encodeURIComponent(actingUser()));
    if (state.home) renderHome(data.home);
    const dialog = $("modal");
    const top = data.modals[data.modals.length - 1];
    if (!top) {
      state.modalKey = "";
      if (dialog.open) dialog.close();
      return;
    }
    const key = top.id + top.hash + JSON.stringify(top.errors);
    if (key !== state.modalKey) {
      state.modalKey = key;
      state.modal = top;
      renderModal(top);
    }
    if (!dialog.open) dialog.showModal();
  }

  async function onModalSubmit(event) {
    event.preventDefault();
    const view = state.modal;
    try {
      const answer = await api("submit", { user: actingUser(), view_id: view.id, values: modalValues(view) });
      setStatus("Submitted; the app answered HTTP " + answer.status);
    } catch (error) { setStatus("Submit failed: " + error.message); }
    state.modalKey = "";
    refresh();
  }

  async function onModalCancel() {
    try {
      await api("close", { user: actingUser(), view_id: state.modal.id });
    } catch (error) { setStatus("Close failed: " + error.message); }
    state.modalKey = "";
    refresh();
  }

  async function showHome() {
    state.home = true;
    state.channel = null;
    setThread(null);
    $("channel-name").textContent = "supportbot Home";
    $("messages").replaceChildren();
    $("messages").hidden = true;
    $("home").hidden = false;
    $("post-form").hidden = true;
    $("command-form").hidden = true;
    document.querySelectorAll("#channels button").forEach((b) => b.setAttribute("aria-current", "false"));
    try {
      const answer = await api("home", { user: actingUser() });
      setStatus("Opened Home; the app answered HTTP " + answer.status);
    } catch (error) { setStatus("Cannot open Home: " + error.message); }
    refresh();
  }

  async function refresh() {
    try { await refreshViews(); } catch (error) { setStatus("Cannot load views: " + error.message); }
    if (!state.channel) return;
    try {
      const data = await api("messages?channel=" + encodeURIComponent(state.channel.id));
      const key = actingUser() + JSON.stringify(data.messages);
      if (key !== state.lastRendered) {
        state.lastRendered = key;
        renderMessages(data.messages);
      }
    } catch (error) { setStatus("Cannot load messages: " + error.message); }
  }

  function selectChannel(channel) {
    state.home = false;
    $("messages").hidden = false;
    $("home").hidden = true;
    $("post-form").hidden = false;
    $("command-form").hidden = false;
    state.channel = channel;
    state.lastRendered = "";
    setThread(null);
    $("channel-name").textContent = "#" + channel.name;
    document.querySelectorAll("#channels button").forEach((b) => {
      b.setAttribute("aria-current", String(b.dataset.id === channel.id));
    });
    refresh();
  }

  async function loadChannels() {
    const data = await api("channels");
    const list = $("channels");
    list.replaceChildren();
    data.channels.forEach((channel) => {
      const item = el("li");
      const b = el("button", "", "#" + channel.name);
      b.type = "button";
      b.dataset.id = channel.id;
      b.addEventListener("click", () => selectChannel(channel));
      item.appendChild(b);
      list.appendChild(item);
    });
    if (!state.channel && data.channels.length) selectChannel(data.channels[0]);
  }

  async function loadUsers() {
    const data = await api("users");
    state.users = data.users;
    const select = $("as-user");
    select.replaceChildren();
    data.users.forEach((u) => {
      state.names[u.id] = u.name;
      const option = el("option", "", u.real_name + " (@" + u.name + ")");
      option.value = u.id;
      select.appendChild(option);
    });
  }

  async function onPost(event) {
    event.preventDefault();
    const text = $("post-text").value;
    if (!text.trim() || !state.channel) return;
    try {
      const answer = await api("post", {
        user: actingUser(), channel: state.channel.id, text, thread_ts: state.threadTs,
      });
      $("post-text").value = "";
      setStatus("Sent; the app answered HTTP " + answer.status);
    } catch (error) { setStatus("Not sent: " + error.message); }
    refresh();
  }

  async function onCommand(event) {
    event.preventDefault();
    if (!state.channel) return;
    try {
      const answer = await api("command", {
        user: actingUser(), channel: state.channel.id,
        command: $("command-name").value, text: $("command-text").value,
      });
      setStatus("The app answered HTTP " + answer.status);
    } catch (error) { setStatus("Command failed: " + error.message); }
    refresh();
  }

  async function start() {
    $("post-form").addEventListener("submit", onPost);
    $("command-form").addEventListener("submit", onCommand);
    $("thread-cancel").addEventListener("click", () => setThread(null));
    $("home-button").addEventListener("click", showHome);
    $("modal-form").addEventListener("submit", onModalSubmit);
    $("modal-cancel").addEventListener("click", onModalCancel);
    $("modal").addEventListener("cancel", (event) => { event.preventDefault(); onModalCancel(); });
    $("as-user").addEventListener("change", () => {
      state.lastRendered = "";
      if (state.home) showHome(); else refresh();
    });
    try {
      await loadUsers();
      await loadChannels();
    } catch (error) { setStatus("Cannot reach the sandbox API: " + error.message); }
    setInterval(refresh, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
