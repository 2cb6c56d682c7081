/* Support chat widget: one tag on any page of the platform's web app.
 *
 *   <script src="https://SUPPORT-HOST/widget.js" async
 *           data-locale="sv" data-accent="#2c4a52"
 *           data-user-id="…" data-user-hash="…"></script>
 *
 * It adds a launcher button and, on first open, an iframe showing SUPPORT-HOST/chat?embed=1.
 * Why an iframe rather than building the chat in the host page:
 *  - the chat runs on our origin under our own CSP, untouched by the host page's scripts,
 *    styles and extensions (nothing the host page does can read the conversation);
 *  - the chat's WebSocket comes from our origin, which the server's Origin check accepts;
 *  - the host page only needs `script-src` and `frame-src` to allow SUPPORT-HOST.
 * The server must let the host page frame /chat?embed=1 (`frame-ancestors`).
 *
 * Styles are set through the CSSOM (element.style), which a host page's CSP without
 * 'unsafe-inline' still allows, and nothing here uses innerHTML or eval.
 * The iframe is created on first open, so page views alone start no conversations.
 * data-user-id / data-user-hash travel in the URL fragment, which is never sent to a server.
 * Where the browser denies the iframe its own storage, the chat asks this page to keep its
 * conversation id and token (postMessage, origin-checked both ways).
 * API: window.SupportChat.open(), .close(), .toggle().
 */
(function () {
  "use strict";

  if (window.SupportChat) return; // the tag was included twice: one launcher is enough
  var script = document.currentScript;
  if (!script || !script.src) return;

  var ORIGIN = new URL(script.src, window.location.href).origin;
  var ACCENT = /^#(?:[0-9a-fA-F]{3}){1,2}$/;
  var PHONE = window.matchMedia("(max-width: 480px)");
  var LABELS = {
    en: { open: "Chat with support", close: "Close chat", title: "Support chat" },
    sv: { open: "Chatta med supporten", close: "Stäng chatten", title: "Supportchatt" },
  };

  var data = script.dataset;
  var locale = data.locale || document.documentElement.lang || "";
  var language = locale.split(/[-_]/)[0].toLowerCase();
  var labels = LABELS[language] || LABELS.en;
  var accent = data.accent && ACCENT.test(data.accent) ? data.accent : "#2c4a52";

  var launcher = document.createElement("button");
  var frame = null;
  var frameLoaded = false;
  var isOpen = false;

  function chatUrl() {
    var query = new URLSearchParams({ embed: "1" });
    if (data.locale) query.set("locale", data.locale);
    // No locale forced: the chat's own words follow this page's language, as the launcher's do.
    else if (document.documentElement.lang) query.set("lang", document.documentElement.lang);
    if (data.accent && ACCENT.test(data.accent)) query.set("accent", data.accent);
    // host: so the chat knows whom to talk to where the browser does not say (Firefox).
    var fragment = new URLSearchParams({ host: window.location.origin });
    if (data.userId && data.userHash) {
      fragment.set("user_id", data.userId);
      fragment.set("user_hash", data.userHash);
    }
    var hash = fragment.toString();
    return ORIGIN + "/chat?" + query.toString() + (hash ? "#" + hash : "");
  }

  function setStyles(element, styles) {
    Object.keys(styles).forEach(function (name) {
      element.style.setProperty(name, styles[name]);
    });
  }

  function styleLauncher() {
    setStyles(launcher, {
      position: "fixed",
      right: "20px",
      bottom: "20px",
      "z-index": "2147483000",
      display: isOpen && PHONE.matches ? "none" : "inline-block",
      "min-height": "48px",
      padding: "12px 20px",
      border: "0",
      "border-radius": "999px",
      background: accent,
      color: onAccent(accent),
      font: "600 16px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
      "box-shadow": "0 4px 14px rgba(0, 0, 0, 0.18)",
      cursor: "pointer",
    });
  }

  function styleFrame() {
    if (!frame) return;
    var common = {
      position: "fixed",
      "z-index": "2147483001",
      display: isOpen ? "block" : "none",
      border: "0",
      background: "#ffffff",
      "color-scheme": "light",
    };
    var placed = PHONE.matches
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", "border-radius": "0" }
      : {
          right: "20px",
          bottom: "84px",
          width: "380px",
          height: "min(640px, calc(100vh - 110px))",
          "border-radius": "16px",
          "box-shadow": "0 8px 30px rgba(0, 0, 0, 0.22)",
        };
    setStyles(frame, Object.assign(common, placed));
  }

  // Same rule as chat.js: dark or light launcher text, whichever contrasts with the accent.
  function onAccent(hex) {
    var digits = hex.slice(1);
    if (digits.length === 3) digits = digits.replace(/./g, "$&$&");
    var channels = [0, 2, 4].map(function (i) {
      var c = parseInt(digits.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    var onWhite = 1.05 / (luminance + 0.05);
    var onDark = (luminance + 0.05) / (0.0088 + 0.05); // #14181b's luminance is 0.0088
    return onDark > onWhite ? "#14181b" : "#ffffff";
  }

  function createFrame() {
    frame = document.createElement("iframe");
    frame.id = "supportbot-chat-frame";
    frame.title = labels.title;
    frame.src = chatUrl();
    // The chat needs its scripts, its own origin (storage, socket) and its form; it
    // never needs to navigate the host page or open popups.
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
    frame.referrerPolicy = "no-referrer";
    frame.addEventListener("load", function () {
      frameLoaded = true;
      if (isOpen) focusChat();
    });
    launcher.setAttribute("aria-controls", frame.id);
    document.body.appendChild(frame);
  }

  function focusChat() {
    frame.focus();
    // Before its load the iframe still holds about:blank, which may not be spoken to.
    if (frameLoaded) frame.contentWindow.postMessage({ type: "supportbot:focus" }, ORIGIN);
  }

  function render() {
    launcher.textContent = isOpen ? labels.close : labels.open;
    launcher.setAttribute("aria-expanded", isOpen ? "true" : "false");
    styleLauncher();
    styleFrame();
  }

  function open() {
    if (!frame) createFrame();
    isOpen = true;
    render();
    focusChat();
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    render();
    launcher.focus(); // focus returns to where the person opened the chat from
  }

  function toggle() {
    if (isOpen) close();
    else open();
  }

  function mount() {
    launcher.type = "button";
    launcher.id = "supportbot-launcher";
    launcher.addEventListener("click", toggle);
    document.body.appendChild(launcher);
    render();
  }

  // Browsers that block third-party storage deny the chat's iframe its own sessionStorage;
  // then the chat keeps its conversation id and token here, in this page's sessionStorage
  // (first-party), so the conversation survives navigating the host site.
  var STORE_PREFIX = "supportbot.";
  var STORE_MAX_CHARS = 64 * 1024;

  function hostStorage() {
    try {
      return window.sessionStorage;
    } catch (err) {
      return null;
    }
  }

  function storedItems() {
    var storage = hostStorage();
    var items = {};
    if (!storage) return items;
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (key && key.indexOf(STORE_PREFIX) === 0) items[key] = storage.getItem(key);
    }
    return items;
  }

  function store(key, value) {
    var storage = hostStorage();
    if (!storage || typeof key !== "string" || key.indexOf(STORE_PREFIX) !== 0) return;
    try {
      if (value === null) storage.removeItem(key);
      else if (typeof value === "string" && value.length <= STORE_MAX_CHARS) {
        storage.setItem(key, value);
      }
    } catch (err) {
      /* full or disabled: the chat carries on in memory */
    }
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.origin !== ORIGIN || event.source !== frame.contentWindow) return;
    var message = event.data || {};
    if (message.type === "supportbot:close") {
      close();
    } else if (message.type === "supportbot:store-get") {
      var reply = { type: "supportbot:store-data", items: storedItems() };
      frame.contentWindow.postMessage(reply, ORIGIN);
    } else if (message.type === "supportbot:store-set") {
      store(message.key, message.value);
    }
  });
  if (PHONE.addEventListener) PHONE.addEventListener("change", render);

  window.SupportChat = { open: open, close: close, toggle: toggle };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
