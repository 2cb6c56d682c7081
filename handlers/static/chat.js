/* The person's chat: /chat as a full page, and the same page inside the widget's iframe
 * (/chat?embed=1). Plain JS, no framework, nothing loaded from anywhere else.
 *
 * Safety: every piece of text that came from the network is put in the page with
 * textContent / createTextNode, never innerHTML. The only links are the ones a bot message
 * lists in `links` (a crisis reply's numbers), each made an <a> with DOM APIs, and only
 * for tel:, sms: and https:. The page runs under
 * `script-src 'self'; style-src 'self'`, so there are no inline scripts or style
 * attributes; the accent colour is set through the CSSOM (a CSS custom property).
 *
 * Resilience: the conversation id and token live in sessionStorage (see Store), so a
 * reload resumes the same conversation. Messages the person writes wait in an outbox (also
 * stored) until the server acknowledges them; each carries a client_id, so
 * re-sending after a dropped connection is idempotent on the server. The socket resumes
 * by `seq`: the hello frame says the last seq this page has, and the server replays
 * exactly what came after it.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "supportbot.chat.v1";
  var RATING_KEY = "supportbot.csat.v1";
  // Reconnect: start quickly (most drops are blips), double each time, cap so that a long
  // outage is still retried twice a minute; jitter so many tabs do not return in lockstep.
  var BACKOFF_FIRST_MS = 500;
  var BACKOFF_MAX_MS = 30000;
  // The server closes with 1008 "rate limited" (1 message/s, burst 10: bot/app.py); wait
  // out a few tokens' worth before trying again.
  var RATE_LIMITED_WAIT_MS = 5000;
  // A socket on a dead network can look open for minutes; an unanswered ping says so.
  var PING_EVERY_MS = 25000;
  var PONG_WITHIN_MS = 10000;
  var ACK_WITHIN_MS = 10000;
  // The server acks a message and, concurrently, echoes it as a "message" frame; a frame
  // that races ahead of its ack is held this long at most so it replaces the local bubble.
  var HOLD_FOR_ACK_MS = 3000;
  // A typing frame says how long to show it ("ttl_s", bot/typing.py; 0 hides it at once);
  // without one it shows this long. Capped, so no frame can leave it up for long.
  var TYPING_SHOWN_MS = 6000;
  var TYPING_MAX_MS = 120000;
  var BUSY_SETTLE_MS = 400;
  // bot/settings.py max_message_chars, counted as the server counts: code points, so an
  // emoji is one. No `maxlength` on the box: it would cut a long paste short without a word
  // (and count UTF-16 units); the whole text stays, and the person is told it is too long.
  var MAX_CHARS = 4000;
  // The rating goes to its own endpoint (handlers/contact_api.py), never into the
  // conversation as a chat message. A network failure or a 5xx is retried quietly after
  // CSAT_RETRY_MS, a 429 after its Retry-After (the per-conversation limiter, shared with
  // the person's messages: 1/s, burst 10), up to CSAT_TRIES sends in all; a Retry-After
  // longer than CSAT_WAIT_MAX_MS is not waited out: the person is asked to try again.
  var CSAT_PATH = "/api/v1/conversations/{id}/csat";
  var CSAT_TRIES = 4;
  var CSAT_RETRY_MS = 2000;
  var CSAT_WAIT_MAX_MS = 30000;
  // hello refusals (bot/tokens.py, bot/chat.py) after which this conversation is gone for
  // good; anything else with 1008 is retried slowly.
  var CONVERSATION_GONE = {
    token_missing: true,
    token_invalid: true,
    token_expired: true,
    forbidden: true,
    conversation_not_found: true,
    conversation_erased: true,
  };
  // Refusals of the text itself (bot/chat.py, handlers/chat_api.py): sending it again would
  // be refused again, so the person gets it back to change.
  var REFUSED_TEXT = {
    text_required: true,
    text_empty: true,
    text_too_long: true,
    invalid_characters: true,
    client_id_invalid: true,
  };
  // The host platform's identity check failed (misconfigured widget, stale hash): the person
  // still gets help, in an anonymous chat, rather than a chat that never opens.
  var IDENTITY_REFUSED = {
    identity_not_configured: true,
    identity_unverified: true,
    user_id_invalid: true,
    user_id_missing: true,
  };
  var SUPPORTED = ["en", "sv"];
  // The only links a message may carry: the phone's dialler or messages app, or a secure
  // web page. Anything else the server might send (javascript:, data:, http:) stays text.
  var LINK_SCHEMES = ["tel:", "sms:", "https:"];
  var ACCENT = /^#(?:[0-9a-fA-F]{3}){1,2}$/;

  var STRINGS = {
    en: {
      title: "Support chat",
      close: "Close the chat",
      log: "Conversation",
      inputLabel: "Your message",
      placeholder: "Write your message…",
      send: "Send",
      hint: "Enter sends, Shift + Enter starts a new line.",
      connecting: "Connecting…",
      starting: "Starting the chat…",
      startFailed: "We couldn't reach support just now. Trying again…",
      offline: "You're offline. Anything you write will be sent when you're back.",
      reconnecting: "The connection dropped. Reconnecting…",
      slowDown: "You're sending messages quickly; the rest will follow in a moment.",
      stateBot: "You're talking with our support assistant.",
      stateQueued: "Waiting for a support specialist to join.",
      stateAgent: "You're talking with our support team.",
      stateAgentNamed: "You're talking with {name} from our support team.",
      stateResolved: "This case is resolved. You can write again any time.",
      caseRef: "Case {ref}",
      you: "You",
      bot: "Support assistant",
      agent: "Support team",
      system: "Update",
      sending: "Sending…",
      waiting: "Will be sent when you're connected.",
      typing: "{name} is typing…",
      someoneTyping: "Support is typing…",
      expired: "Your earlier conversation had expired, so this is a new one.",
      notSent: "Not sent: {reason} Your text is back in the box below.",
      tooLong: "Messages can be at most 4,000 characters.",
      csatQuestion: "How did we do?",
      csatLow: "Not good",
      csatHigh: "Very good",
      csatOption: "{n} out of 5",
      csatThanks: "Thank you for telling us.",
      csatAsk: "How did we do? You can rate this chat below.",
      csatFailed: "Sorry, your rating didn't reach us. Please try again in a moment.",
      crisisHelp: "Crisis help:",
    },
    sv: {
      title: "Supportchatt",
      close: "Stäng chatten",
      log: "Konversation",
      inputLabel: "Ditt meddelande",
      placeholder: "Skriv ditt meddelande…",
      send: "Skicka",
      hint: "Enter skickar, Skift + Enter ger en ny rad.",
      connecting: "Ansluter…",
      starting: "Startar chatten…",
      startFailed: "Vi når inte supporten just nu. Vi försöker igen…",
      offline: "Du är offline. Det du skriver skickas när du är tillbaka.",
      reconnecting: "Anslutningen bröts. Ansluter igen…",
      slowDown: "Du skickar många meddelanden tätt; resten skickas om en stund.",
      stateBot: "Du pratar med vår supportassistent.",
      stateQueued: "Väntar på att en supportspecialist ansluter.",
      stateAgent: "Du pratar med vårt supportteam.",
      stateAgentNamed: "Du pratar med {name} från vårt supportteam.",
      stateResolved: "Ärendet är löst. Du kan skriva igen när som helst.",
      caseRef: "Ärende {ref}",
      you: "Du",
      bot: "Supportassistent",
      agent: "Supportteamet",
      system: "Uppdatering",
      sending: "Skickar…",
      waiting: "Skickas när du är ansluten.",
      typing: "{name} skriver…",
      someoneTyping: "Supporten skriver…",
      expired: "Din tidigare konversation hade gått ut, så det här är en ny.",
      notSent: "Inte skickat: {reason} Din text finns kvar i rutan nedan.",
      tooLong: "Ett meddelande kan vara högst 4 000 tecken.",
      csatQuestion: "Hur gjorde vi?",
      csatLow: "Inte bra",
      csatHigh: "Mycket bra",
      csatOption: "{n} av 5",
      csatThanks: "Tack för att du berättar.",
      csatAsk: "Hur gjorde vi? Du kan betygsätta chatten nedan.",
      csatFailed: "Förlåt, ditt betyg kom inte fram. Försök igen om en stund.",
      crisisHelp: "Krishjälp:",
    },
  };

  // -- small helpers ---------------------------------------------------------------------

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // A message's `links` that may be links here: each with its words and a safe address.
  function safeLinks(links) {
    if (!Array.isArray(links)) return [];
    var safe = [];
    links.forEach(function (link) {
      if (!link || typeof link.href !== "string") return;
      if (typeof link.text !== "string" || !link.text) return;
      var url;
      try {
        url = new URL(link.href);
      } catch (err) {
        return;
      }
      if (LINK_SCHEMES.indexOf(url.protocol) < 0) return;
      safe.push({ text: link.text, href: link.href, web: url.protocol === "https:" });
    });
    return safe;
  }

  // tel: and sms: open the phone's dialler or messages app in place; a web page opens in a
  // new tab, so the chat stays where it is, and learns nothing of where the person went.
  function linkElement(link) {
    var a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    if (link.web) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  // The text as it is, with each link's words made a link where they first appear after
  // the one before (the server lists them in their order in the text).
  function appendLinked(node, text, links) {
    var at = 0;
    links.forEach(function (link) {
      var found = text.indexOf(link.text, at);
      if (found < 0) return;
      if (found > at) node.appendChild(document.createTextNode(text.slice(at, found)));
      node.appendChild(linkElement(link));
      at = found + link.text.length;
    });
    if (at < text.length) node.appendChild(document.createTextNode(text.slice(at)));
  }

  // -- where the conversation is remembered ----------------------------------------------
  //
  // Our own sessionStorage when the browser allows it. Inside the widget's iframe on another
  // site, browsers that block third-party storage refuse it ("Access is denied"); then the
  // embedding page keeps it for us (widget.js, in its own sessionStorage) and we mirror
  // writes to it by postMessage. Failing both, memory: the chat works, a reload starts over.

  var STORE_WAIT_MS = 1000;

  function ownStorage() {
    try {
      var storage = window.sessionStorage;
      storage.setItem("supportbot.probe", "1");
      storage.removeItem("supportbot.probe");
      return storage;
    } catch (err) {
      return null;
    }
  }

  function Store(storage, parentOrigin) {
    this.storage = storage;
    this.parentOrigin = parentOrigin;
    this.memory = {};
  }

  Store.prototype.ready = function () {
    var self = this;
    if (this.storage || !this.parentOrigin) return Promise.resolve();
    return new Promise(function (resolve) {
      var timer = setTimeout(done, STORE_WAIT_MS);
      function done() {
        clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        resolve();
      }
      function onMessage(event) {
        var data = event.data;
        if (event.source !== window.parent || event.origin !== self.parentOrigin) return;
        if (!data || data.type !== "supportbot:store-data" || typeof data.items !== "object") {
          return;
        }
        Object.keys(data.items || {}).forEach(function (key) {
          if (typeof data.items[key] === "string") self.memory[key] = data.items[key];
        });
        done();
      }
      window.addEventListener("message", onMessage);
      window.parent.postMessage({ type: "supportbot:store-get" }, self.parentOrigin);
    });
  };

  Store.prototype.read = function (key) {
    try {
      var raw = this.storage ? this.storage.getItem(key) : this.memory[key];
      return raw ? JSON.parse(raw) : null;
    } catch (err) {
      return null; // corrupted: behave like a first visit
    }
  };

  Store.prototype.write = function (key, value) {
    var raw = value === null ? null : JSON.stringify(value);
    if (this.storage) {
      try {
        if (raw === null) this.storage.removeItem(key);
        else this.storage.setItem(key, raw);
      } catch (err) {
        /* storage full: the chat still works, it just won't survive a reload */
      }
      return;
    }
    if (raw === null) delete this.memory[key];
    else this.memory[key] = raw;
    if (this.parentOrigin) {
      var message = { type: "supportbot:store-set", key: key, value: raw };
      window.parent.postMessage(message, this.parentOrigin);
    }
  };

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
  }

  function languageOf(tag) {
    var language = String(tag || "")
      .split(/[-_]/)[0]
      .toLowerCase();
    return SUPPORTED.indexOf(language) >= 0 ? language : null;
  }

  // Dark or light text for the accent: whichever has the higher WCAG contrast with it. They
  // tie near a luminance of 0.2, so a mid-tone accent (a brand blue or orange) takes dark
  // text; white on it falls to 3:1 or less.
  var DARK_TEXT = "#14181b";
  var DARK_TEXT_LUMINANCE = 0.0088; // of #14181b

  function textColourOn(hex) {
    var digits = hex.slice(1);
    if (digits.length === 3) digits = digits.replace(/./g, "$&$&");
    var channels = [0, 2, 4].map(function (i) {
      var c = parseInt(digits.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    var onWhite = 1.05 / (luminance + 0.05);
    var onDark = (luminance + 0.05) / (DARK_TEXT_LUMINANCE + 0.05);
    return onDark > onWhite ? DARK_TEXT : "#ffffff";
  }

  // -- configuration from the URL --------------------------------------------------------

  function readConfig() {
    var query = new URLSearchParams(window.location.search);
    // The widget passes identity in the fragment, which browsers never send to a server,
    // so it stays out of access logs; it is removed from the address right away.
    var fragment = new URLSearchParams(window.location.hash.slice(1));
    if (window.location.hash) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    // The embedding page's origin: the browser's own word where it gives one (Chromium,
    // Safari); otherwise what widget.js said, which frame-ancestors already vouches for.
    var ancestors = window.location.ancestorOrigins;
    var parentOrigin = ancestors && ancestors.length ? ancestors[0] : fragment.get("host");
    var requested = query.get("locale");
    var accent = query.get("accent");
    return {
      embedded: query.get("embed") === "1",
      // Only a supported locale is forced on the server; otherwise it detects per message.
      serverLocale: languageOf(requested) ? requested : null,
      // The chat's own words: the forced locale's language, else the host page's (widget.js
      // passes its <html lang>), else the browser's.
      uiLanguage:
        languageOf(requested) ||
        languageOf(query.get("lang")) ||
        languageOf(navigator.language) ||
        "en",
      accent: accent && ACCENT.test(accent) ? accent : null,
      userId: fragment.get("user_id") || null,
      userHash: fragment.get("user_hash") || null,
      parentOrigin: window.parent !== window && parentOrigin ? parentOrigin : null,
    };
  }

  // -- the chat --------------------------------------------------------------------------

  function Chat(config, store) {
    this.config = config;
    this.store = store;
    this.t = STRINGS[config.uiLanguage];
    this.el = {
      root: document.getElementById("chat"),
      status: document.getElementById("status"),
      caseRef: document.getElementById("case-ref"),
      notice: document.getElementById("notice"),
      log: document.getElementById("messages"),
      typing: document.getElementById("typing"),
      csat: document.getElementById("csat"),
      csatScale: document.getElementById("csat-scale"),
      csatThanks: document.getElementById("csat-thanks"),
      // Where a rating that did not reach the server says so, by the buttons to try again.
      csatError: document.getElementById("csat-error"),
      form: document.getElementById("composer"),
      input: document.getElementById("input"),
      close: document.getElementById("close"),
      crisisHelp: document.getElementById("crisis-help"),
    };
    this.session = null; // {conversation_id, token, user_id}
    this.outbox = []; // [{clientId, text, li, inFlight, seq}]
    this.rendered = new Map(); // seq -> <li>
    this.lastSeq = 0;
    this.state = null;
    this.caseRef = null;
    this.agentName = null;
    this.ws = null;
    this.ready = false;
    this.connection = "connecting"; // connecting | open | retrying | offline | failed
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.ackTimer = null;
    this.held = null; // frames held while an own message awaits its ack
    this.holdTimer = null;
    this.typingTimer = null;
    this.busyTimer = null;
    this.starting = false;
    this.rateLimited = false; // closed for sending too fast: wait out Retry-After
    this.csatSending = false; // a rating is on its way: more clicks wait for its answer
    this.csatDone = false; // the resolution in view was rated, on this page
    this.justRated = false; // the thanks stays up until the state changes
    this.crisisHelpShown = ""; // which links the crisis help line shows (see showCrisisHelp)
  }

  Chat.prototype.start = function () {
    this.applyConfig();
    this.bindEvents();
    var stored = this.store.read(STORAGE_KEY);
    var sameUser = stored && (stored.user_id || null) === (this.config.userId || null);
    if (stored && stored.conversation_id && stored.token && sameUser) {
      this.session = {
        conversation_id: stored.conversation_id,
        token: stored.token,
        user_id: stored.user_id || null,
      };
      (stored.outbox || []).forEach(
        function (item) {
          if (item && typeof item.text === "string" && typeof item.client_id === "string") {
            this.queue(item.text, item.client_id);
          }
        }.bind(this)
      );
      this.connect();
    } else {
      this.startConversation(null);
    }
    this.renderStatus();
  };

  Chat.prototype.applyConfig = function () {
    var t = this.t;
    document.documentElement.lang = this.config.uiLanguage;
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t[node.getAttribute("data-i18n")];
    });
    document.querySelectorAll("[data-i18n-label]").forEach(function (node) {
      node.setAttribute("aria-label", t[node.getAttribute("data-i18n-label")]);
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.setAttribute("placeholder", t[node.getAttribute("data-i18n-placeholder")]);
    });
    this.el.csatScale.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-label", format(t.csatOption, { n: button.dataset.score }));
    });
    if (this.config.accent) {
      // CSSOM, not a style attribute: allowed under style-src 'self'.
      var rootStyle = document.documentElement.style;
      rootStyle.setProperty("--accent", this.config.accent);
      rootStyle.setProperty("--on-accent", textColourOn(this.config.accent));
    }
    if (this.config.embedded) {
      document.documentElement.classList.add("is-embedded");
      this.el.close.hidden = false;
    }
  };

  Chat.prototype.bindEvents = function () {
    var self = this;
    this.el.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.el.input.addEventListener("keydown", function (event) {
      var plainEnter =
        event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
      // isComposing: Enter also confirms an IME candidate (Japanese, Chinese…), not a send.
      if (plainEnter && !event.isComposing) {
        event.preventDefault();
        self.submit();
      }
    });
    this.el.input.addEventListener("input", function () {
      self.fitInput();
      self.checkLength();
    });
    // Someone reading the latest lines keeps seeing them when the log gets shorter (a
    // phone keyboard opening, the rating card appearing, a rotated screen); someone who
    // scrolled up to reread is left where they are.
    this.pinned = true;
    this.el.log.addEventListener("scroll", function () {
      self.pinned = self.nearBottom();
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (self.pinned) self.scrollToEnd();
      }).observe(this.el.log);
    }
    this.el.csatScale.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-score]");
      if (button) self.rate(Number(button.dataset.score));
    });
    this.el.close.addEventListener("click", function () {
      self.askToClose();
    });
    document.addEventListener("keydown", function (event) {
      // Not while an input method is composing (Escape cancels the candidate there), nor
      // when something on the page has already handled the key.
      if (event.key !== "Escape" || event.isComposing || event.defaultPrevented) return;
      if (self.config.embedded) self.askToClose();
    });
    window.addEventListener("offline", function () {
      // The OS says the network is gone: stop trusting the socket now rather than after
      // a ping timeout, so what the person writes waits visibly in the outbox.
      if (self.ws) self.ws.close(4000, "offline");
      self.renderStatus();
    });
    window.addEventListener("online", function () {
      if (!self.session) {
        if (!self.starting) self.startConversation(null);
        return;
      }
      if (!self.ws) {
        self.attempt = 0;
        self.connect();
      }
    });
  };

  Chat.prototype.askToClose = function () {
    if (!this.config.embedded || !this.config.parentOrigin) return;
    window.parent.postMessage({ type: "supportbot:close" }, this.config.parentOrigin);
  };

  // -- starting a conversation -----------------------------------------------------------

  Chat.prototype.startConversation = function (note) {
    var self = this;
    this.starting = true;
    this.connection = "connecting";
    this.renderStatus();
    var body = {};
    // Forced, the locale sets every answer's language; otherwise the greeting is in the
    // page's language and the answers follow what the person writes.
    if (this.config.serverLocale) body.locale = this.config.serverLocale;
    else body.page_locale = this.config.uiLanguage;
    var identified = Boolean(this.config.userId && this.config.userHash && !this.anonymous);
    if (identified) {
      body.user_id = this.config.userId;
      body.user_hash = this.config.userHash;
    }
    fetch("/api/v1/conversations", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (response.status === 201) return response.json();
        return errorCode(response).then(function (code) {
          if (identified && IDENTITY_REFUSED[code]) {
            // For the integrator's console; the person just gets an anonymous chat.
            console.warn("support chat: identity refused (" + code + "); chatting anonymously");
            self.anonymous = true;
            self.startConversation(note);
            return null;
          }
          throw new Error("status " + response.status + " " + code);
        });
      })
      .then(function (data) {
        if (data === null) return;
        self.starting = false;
        self.session = {
          conversation_id: data.conversation_id,
          token: data.token,
          user_id: self.config.userId || null,
        };
        self.save();
        self.setState(data.state, data.case_ref);
        if (note) self.showNotice(note, true);
        (data.messages || []).forEach(function (message) {
          self.receive(message);
        });
        self.connect();
      })
      .catch(function () {
        self.starting = false;
        self.connection = "failed";
        self.renderStatus();
        self.retryLater(function () {
          self.startConversation(note);
        });
      });
  };

  Chat.prototype.save = function () {
    if (!this.session) return;
    this.store.write(STORAGE_KEY, {
      conversation_id: this.session.conversation_id,
      token: this.session.token,
      user_id: this.session.user_id,
      outbox: this.outbox.map(function (item) {
        return { client_id: item.clientId, text: item.text };
      }),
    });
  };

  Chat.prototype.forgetConversation = function () {
    this.session = null;
    this.forgetTranscript();
    this.state = null;
    this.caseRef = null;
    this.agentName = null;
    this.csatDone = false;
    this.justRated = false;
    this.outbox.forEach(function (item) {
      item.inFlight = false;
      item.seq = null;
    });
    this.store.write(STORAGE_KEY, null);
  };

  // The messages shown, taken off the page: the next hello asks for all of them again.
  Chat.prototype.forgetTranscript = function () {
    this.rendered.forEach(function (li) {
      li.remove();
    });
    this.rendered.clear();
    this.lastSeq = 0;
  };

  // -- the socket ------------------------------------------------------------------------

  Chat.prototype.connect = function () {
    var self = this;
    if (this.ws || !this.session) return;
    clearTimeout(this.retryTimer);
    this.rateLimited = false;
    this.connection = "connecting";
    this.renderStatus();
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(scheme + "//" + window.location.host + "/chat/ws");
    this.ws = ws;
    ws.addEventListener("open", function () {
      ws.send(
        JSON.stringify({
          type: "hello",
          conversation_id: self.session.conversation_id,
          token: self.session.token,
          after: self.lastSeq,
        })
      );
    });
    ws.addEventListener("message", function (event) {
      if (self.ws !== ws) return;
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (frame && typeof frame === "object") self.handleFrame(frame);
    });
    ws.addEventListener("close", function (event) {
      if (self.ws !== ws) return;
      self.dropSocket();
      self.afterClose(event.code, event.reason || "");
    });
  };

  Chat.prototype.dropSocket = function () {
    var ws = this.ws;
    this.ws = null;
    this.ready = false;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.ackTimer);
    this.outbox.forEach(function (item) {
      item.inFlight = false;
    });
    this.releaseHeld();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
  };

  Chat.prototype.afterClose = function (code, reason) {
    var self = this;
    if (code === 1008 && CONVERSATION_GONE[reason]) {
      // The token will never work again: no reconnect loop, a fresh conversation instead.
      // Anything still in the outbox goes to the new one rather than being lost.
      this.forgetConversation();
      this.startConversation(this.t.expired);
      return;
    }
    if (code === 1008 && reason === "after_invalid") {
      // The store has no message as far as this page has shown: it was restored from
      // before them (a database failover). Show the conversation as the store has it.
      this.forgetTranscript();
      this.connect();
      return;
    }
    if (code === 1008 && reason === "rate limited") {
      this.showNotice(this.t.slowDown);
      this.rateLimited = true; // coming back sooner would only be refused again
      this.connection = "retrying";
      this.renderStatus();
      var wait = this.retryAfterMs || RATE_LIMITED_WAIT_MS;
      this.retryAfterMs = 0;
      this.retryTimer = setTimeout(function () {
        self.connect();
      }, wait);
      return;
    }
    if (code === 1008) this.attempt = Math.max(this.attempt, 6); // our bug, not the network's
    // Known offline: the "online" event reconnects at once; the slow retry is only a net
    // under browsers that never fire it.
    if (navigator.onLine === false) this.attempt = Math.max(this.attempt, 6);
    this.connection = navigator.onLine === false ? "offline" : "retrying";
    this.renderStatus();
    this.retryLater(function () {
      self.connect();
    });
  };

  Chat.prototype.retryLater = function (action) {
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, this.attempt));
    var delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(action, delay);
  };

  Chat.prototype.send = function (frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  };

  Chat.prototype.handleFrame = function (frame) {
    switch (frame.type) {
      case "ready":
        this.onReady(frame);
        break;
      case "message":
        if (frame.message && typeof frame.message.seq === "number") this.onMessage(frame.message);
        break;
      case "ack":
        this.onAck(frame.client_id, frame.seq);
        break;
      case "state":
        this.setState(frame.state, frame.case_ref);
        break;
      case "typing":
        if (frame.ttl_s === 0) this.clearTyping();
        else this.showTyping(frame.author || frame.name || null, frame.ttl_s);
        break;
      case "pong":
        clearTimeout(this.pongTimer);
        break;
      case "error":
        this.onError(frame);
        break;
      default:
      // Unknown frames are ignored, so the server can add types without breaking us.
    }
  };

  Chat.prototype.onReady = function (frame) {
    var self = this;
    this.ready = true;
    this.attempt = 0;
    this.connection = "open";
    this.hideNotice();
    this.setState(frame.state, frame.case_ref);
    this.settleBusy();
    this.pingTimer = setInterval(function () {
      if (!self.send({ type: "ping" })) return;
      clearTimeout(self.pongTimer);
      self.pongTimer = setTimeout(function () {
        if (self.ws) self.ws.close(4001, "no pong");
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
    this.flushOutbox();
  };

  // -- messages in -----------------------------------------------------------------------

  Chat.prototype.onMessage = function (message) {
    if (this.held) {
      this.held.push(message);
      return;
    }
    var unknownOwn = message.sender === "user" && !this.rendered.has(message.seq);
    var awaitingAck = this.outbox.some(function (item) {
      return item.inFlight;
    });
    if (unknownOwn && awaitingAck) {
      // Probably our own message echoed before its ack: wait for the ack, which says
      // which local bubble it is, instead of showing it twice for a moment.
      this.held = [message];
      this.holdTimer = setTimeout(this.releaseHeld.bind(this), HOLD_FOR_ACK_MS);
      return;
    }
    this.receive(message);
  };

  Chat.prototype.releaseHeld = function () {
    clearTimeout(this.holdTimer);
    var held = this.held;
    this.held = null;
    if (held) held.forEach(this.onMessage, this);
  };

  Chat.prototype.receive = function (message) {
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    if (message.sender === "agent" && message.author) {
      this.agentName = String(message.author);
      this.clearTyping();
    }
    // Only the bot's words are made links, whatever another message carries.
    var links = message.sender === "bot" ? safeLinks(message.links) : [];
    if (!this.rendered.has(message.seq)) {
      var li = this.messageItem(message.sender, message.author, message.text, message.at, links);
      li.dataset.seq = String(message.seq);
      this.rendered.set(message.seq, li);
      this.place(li, message.seq);
    }
    if (links.length) this.showCrisisHelp(links);
    this.settleBusy();
    this.renderStatus();
    this.renderCsat();
  };

  Chat.prototype.messageItem = function (sender, author, text, at, links) {
    var known = ["user", "bot", "agent", "system"];
    var kind = known.indexOf(sender) >= 0 ? sender : "system";
    var li = document.createElement("li");
    li.className = "msg msg--" + kind;
    var meta = document.createElement("p");
    meta.className = "msg__meta";
    var who = document.createElement("span");
    who.className = "msg__who";
    who.textContent = this.speaker(kind, author);
    meta.appendChild(who);
    var when = at ? new Date(at) : new Date();
    if (!isNaN(when.getTime())) {
      var time = document.createElement("time");
      time.className = "msg__time";
      time.dateTime = when.toISOString();
      time.textContent = when.toLocaleTimeString(this.config.uiLanguage, {
        hour: "numeric",
        minute: "2-digit",
      });
      meta.appendChild(time);
    }
    var body = document.createElement("p");
    body.className = "msg__text";
    if (links && links.length) appendLinked(body, String(text), links);
    else body.textContent = String(text);
    li.appendChild(meta);
    li.appendChild(body);
    return li;
  };

  // Once a message has given crisis numbers, they stay one tap away above the composer,
  // however far the conversation scrolls on. The line is a polite live region filled once
  // (again only if a later message gives other numbers): announced once, not per message.
  // Kept for the life of the page; a reload brings the links back with the history.
  Chat.prototype.showCrisisHelp = function (links) {
    var seen = {};
    var unique = links.filter(function (link) {
      if (seen[link.href]) return false;
      seen[link.href] = true;
      return true;
    });
    var key = JSON.stringify(
      unique.map(function (link) {
        return [link.text, link.href];
      })
    );
    if (key === this.crisisHelpShown) return;
    this.crisisHelpShown = key;
    // Built aside and put in whole, so the live region reads it as one announcement.
    var line = document.createDocumentFragment();
    var label = document.createElement("span");
    label.className = "chat__help-label";
    label.textContent = this.t.crisisHelp;
    line.appendChild(label);
    unique.forEach(function (link, index) {
      line.appendChild(document.createTextNode(" "));
      if (index > 0) {
        var dot = document.createElement("span");
        dot.setAttribute("aria-hidden", "true");
        dot.textContent = "· ";
        line.appendChild(dot);
      }
      line.appendChild(linkElement(link));
    });
    var help = this.el.crisisHelp;
    var stick = this.pinned || this.nearBottom();
    help.textContent = "";
    help.appendChild(line);
    if (stick) this.scrollToEnd(); // the log just got shorter by the line's height
  };

  Chat.prototype.speaker = function (kind, author) {
    if (kind === "user") return this.t.you;
    if (kind === "bot") return this.t.bot;
    if (kind === "agent") return author ? String(author) : this.t.agent;
    return this.t.system;
  };

  // Messages with a seq are kept in seq order; local, not yet acknowledged ones stay last.
  Chat.prototype.place = function (li, seq) {
    var before = null;
    var children = this.el.log.children;
    for (var i = 0; i < children.length; i++) {
      var child = children[i];
      if (child === li) continue;
      var childSeq = child.dataset.seq ? Number(child.dataset.seq) : Infinity;
      if (childSeq > seq) {
        before = child;
        break;
      }
    }
    if (li.parentNode === this.el.log && li.nextElementSibling === before) return;
    var stick = this.pinned || this.nearBottom();
    this.el.log.insertBefore(li, before);
    if (stick) this.scrollToEnd();
  };

  Chat.prototype.nearBottom = function () {
    var log = this.el.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  };

  Chat.prototype.scrollToEnd = function () {
    this.el.log.scrollTop = this.el.log.scrollHeight;
    this.pinned = true;
  };

  // The history replayed on (re)load is not news: keep screen readers from reading it all
  // out (aria-busy) until the frames stop arriving.
  Chat.prototype.settleBusy = function () {
    var log = this.el.log;
    if (log.getAttribute("aria-busy") !== "true") return;
    clearTimeout(this.busyTimer);
    this.busyTimer = setTimeout(function () {
      log.setAttribute("aria-busy", "false");
    }, BUSY_SETTLE_MS);
  };

  // -- messages out ----------------------------------------------------------------------

  function charCount(text) {
    return Array.from(text).length;
  }

  // Said as soon as the box holds too much (a paste, usually), not only on Enter; and taken
  // back once it fits again.
  Chat.prototype.checkLength = function () {
    var tooLong = charCount(this.el.input.value.trim()) > MAX_CHARS;
    if (tooLong) {
      this.showNotice(this.t.tooLong, true);
      this.el.input.setAttribute("aria-invalid", "true");
    } else if (this.el.input.hasAttribute("aria-invalid")) {
      this.el.input.removeAttribute("aria-invalid");
      if (this.el.notice.textContent === this.t.tooLong) this.hideNotice(true);
    }
    return !tooLong;
  };

  Chat.prototype.submit = function () {
    var text = this.el.input.value.trim();
    if (!text) return;
    if (!this.checkLength()) return;
    this.hideNotice(true);
    this.el.input.value = "";
    this.fitInput();
    this.queue(text, newClientId());
    this.save();
    this.flushOutbox();
    this.scrollToEnd();
    this.reconnectNow();
  };

  // The person wrote while the page waits out its back-off (up to BACKOFF_MAX_MS): try now
  // rather than leave them waiting on a server that may be back. Not while the server's
  // Retry-After runs, nor while the browser says there is no network (its "online" event
  // reconnects). The back-off itself is kept, so a server still down is not hammered: one
  // try per message, at the person's pace.
  Chat.prototype.reconnectNow = function () {
    if (this.ws || !this.session || this.connection !== "retrying" || this.rateLimited) return;
    if (navigator.onLine === false) return;
    this.connect();
  };

  Chat.prototype.queue = function (text, clientId) {
    var li = this.messageItem("user", null, text, null);
    li.classList.add("msg--pending");
    var status = document.createElement("p");
    status.className = "msg__status";
    li.appendChild(status);
    this.el.log.appendChild(li);
    var item = { clientId: clientId, text: text, li: li, inFlight: false, seq: null };
    this.outbox.push(item);
    this.renderPending(item);
  };

  Chat.prototype.renderPending = function (item) {
    var status = item.li.querySelector(".msg__status");
    if (!status) return;
    var label = item.inFlight ? this.t.sending : this.t.waiting;
    if (status.textContent !== label) status.textContent = label;
  };

  Chat.prototype.flushOutbox = function () {
    var self = this;
    if (!this.ready) {
      this.outbox.forEach(this.renderPending, this);
      return;
    }
    var sentAny = false;
    this.outbox.forEach(function (item) {
      if (item.inFlight) return;
      if (self.send({ type: "message", text: item.text, client_id: item.clientId })) {
        item.inFlight = true;
        sentAny = true;
      }
      self.renderPending(item);
    });
    if (sentAny) {
      clearTimeout(this.ackTimer);
      this.ackTimer = setTimeout(function () {
        // Sent but never acknowledged: the socket is dead in a way the browser has not
        // noticed. Reconnect; the re-send is idempotent thanks to client_id.
        if (self.ws) self.ws.close(4002, "no ack");
      }, ACK_WITHIN_MS);
    }
  };

  Chat.prototype.onAck = function (clientId, seq) {
    var index = this.outbox.findIndex(function (item) {
      return item.clientId === clientId;
    });
    if (index < 0 || typeof seq !== "number") return;
    var item = this.outbox.splice(index, 1)[0];
    this.save();
    if (this.rendered.has(seq)) {
      item.li.remove(); // the server's copy is already on screen
    } else {
      item.li.classList.remove("msg--pending");
      var status = item.li.querySelector(".msg__status");
      if (status) status.remove();
      item.li.dataset.seq = String(seq);
      this.rendered.set(seq, item.li);
      this.place(item.li, seq);
    }
    if (
      !this.outbox.some(function (other) {
        return other.inFlight;
      })
    ) {
      clearTimeout(this.ackTimer);
      this.releaseHeld();
    }
  };

  Chat.prototype.onError = function (frame) {
    var error = frame.error || {};
    if (error.code === "rate_limited") {
      // The message stays in the outbox; the server closes the socket (1008) and we come
      // back after its Retry-After and re-send.
      this.retryAfterMs = Math.max(1, Number(frame.retry_after) || 0) * 1000;
      this.showNotice(this.t.slowDown);
      return;
    }
    if (frame.client_id && REFUSED_TEXT[error.code]) {
      var index = this.outbox.findIndex(function (item) {
        return item.clientId === frame.client_id;
      });
      if (index >= 0) {
        // Refused for good (too long, empty…): re-sending would fail again, so hand the
        // text back to the person to change instead of retrying it forever.
        var item = this.outbox.splice(index, 1)[0];
        item.li.remove();
        this.save();
        if (!this.el.input.value) {
          this.el.input.value = item.text;
          this.fitInput();
        }
        var reason = error.code === "text_too_long" ? this.t.tooLong : String(error.message || "");
        this.showNotice(format(this.t.notSent, { reason: reason }), true);
        var stillWaiting = this.outbox.some(function (other) {
          return other.inFlight;
        });
        if (!stillWaiting) this.releaseHeld();
      }
    }
    // Anything else (a hiccup on our side) leaves the message in the outbox: the ack
    // timeout reconnects and re-sends it, idempotently.
  };

  // -- state, status, typing, rating -----------------------------------------------------

  Chat.prototype.setState = function (state, caseRef) {
    var previous = this.state;
    if (typeof state === "string") this.state = state;
    if (typeof caseRef === "string" && caseRef) this.caseRef = caseRef;
    this.el.root.dataset.state = this.state || "";
    this.el.root.dataset.caseRef = this.caseRef || "";
    if (previous !== this.state) this.justRated = false;
    if (previous && previous !== "resolved" && this.state === "resolved") {
      // A new resolution, seen as it happens: it is offered for rating until rated, even
      // after the state moves on (see renderCsat).
      this.pendingCsatAsk = true;
      this.csatDone = false;
      this.openRating();
    }
    this.renderStatus();
    this.renderCsat();
  };

  Chat.prototype.renderStatus = function () {
    var t = this.t;
    var text;
    if (!this.session) {
      text = this.connection === "failed" ? t.startFailed : t.starting;
    } else if (this.connection !== "open") {
      if (navigator.onLine === false) text = t.offline;
      else text = this.connection === "retrying" ? t.reconnecting : t.connecting;
    } else if (this.state === "queued") {
      text = t.stateQueued;
    } else if (this.state === "agent") {
      text = this.agentName ? format(t.stateAgentNamed, { name: this.agentName }) : t.stateAgent;
    } else if (this.state === "resolved") {
      text = this.pendingCsatAsk ? t.stateResolved + " " + t.csatAsk : t.stateResolved;
    } else {
      text = t.stateBot;
    }
    // The reference is what the person quotes if they write in again, so it is always shown
    // once there is a case to refer to.
    var ref = this.caseRef && this.state && this.state !== "bot" ? format(t.caseRef, { ref: this.caseRef }) : "";
    if (this.el.caseRef.textContent !== ref) this.el.caseRef.textContent = ref;
    this.el.root.dataset.connection = this.connection;
    // Only touch the live region when the words change, so it is not re-announced.
    if (this.el.status.textContent !== text) this.el.status.textContent = text;
    this.outbox.forEach(this.renderPending, this);
  };

  // A passing notice (slow down) goes when the connection is back; a lasting one (a new
  // conversation, a refused message) stays until the person sends something.
  Chat.prototype.showNotice = function (text, lasting) {
    this.el.notice.textContent = text;
    this.el.notice.hidden = false;
    this.noticeLasts = Boolean(lasting);
  };

  Chat.prototype.hideNotice = function (evenLasting) {
    if (this.noticeLasts && !evenLasting) return;
    this.el.notice.hidden = true;
    this.el.notice.textContent = "";
  };

  Chat.prototype.showTyping = function (name, ttlS) {
    var self = this;
    var text = name ? format(this.t.typing, { name: String(name) }) : this.t.someoneTyping;
    var shownMs = typeof ttlS === "number" && ttlS > 0 ? Math.min(ttlS * 1000, TYPING_MAX_MS) : TYPING_SHOWN_MS;
    if (this.el.typing.textContent !== text) this.el.typing.textContent = text;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () {
      self.clearTyping();
    }, shownMs);
  };

  Chat.prototype.clearTyping = function () {
    clearTimeout(this.typingTimer);
    this.el.typing.textContent = "";
  };

  // The rating (bot/csat.py): one per resolution, and a resolution can be rated whatever
  // the case's state now, since a "thank you" written after it reopens the case (state
  // "bot"). So a resolution the person has seen stays offered (an "open" record, kept in
  // the store so a reload keeps it) until the server has its rating: 201, or 409
  // csat_already. Records: {conversation_id: {open, seq, score?}}; for a closed one, `seq`
  // is how far the conversation had got when it was rated.
  Chat.prototype.ratingRecord = function () {
    if (!this.session) return null;
    var record = (this.store.read(RATING_KEY) || {})[this.session.conversation_id];
    return record && typeof record === "object" ? record : null;
  };

  Chat.prototype.writeRating = function (conversationId, record) {
    var ratings = this.store.read(RATING_KEY) || {};
    ratings[conversationId] = record;
    this.store.write(RATING_KEY, ratings);
  };

  Chat.prototype.openRating = function () {
    var record = this.ratingRecord();
    if (!this.session || (record && record.open)) return;
    this.writeRating(this.session.conversation_id, { open: true, seq: this.lastSeq });
  };

  Chat.prototype.csatOffered = function () {
    var record = this.ratingRecord();
    if (record && record.open) return true;
    if (this.state !== "resolved" || this.csatDone) return false;
    // Found resolved on (re)load, with no transition seen: a rating given after this
    // resolution covers it (the conversation has not gone further since); an older one does
    // not. While history replays `lastSeq` grows, so this settles once it is all in.
    return !(record && typeof record.seq === "number" && record.seq >= this.lastSeq);
  };

  Chat.prototype.renderCsat = function () {
    if (this.session && this.csatOffered()) {
      this.openRating();
      this.el.csat.hidden = false;
      this.el.csatScale.hidden = false;
      this.el.csatThanks.hidden = true;
    } else if (!this.justRated) {
      this.el.csat.hidden = true;
      this.hideCsatError();
    }
  };

  Chat.prototype.rate = function (score) {
    if (!this.session || this.csatSending || !(score >= 1 && score <= 5)) return;
    // Nothing is recorded here: only the server's answer says the rating is kept.
    this.csatSending = true;
    this.el.csatScale.setAttribute("aria-busy", "true");
    this.hideCsatError();
    this.sendRating(this.session, score, CSAT_TRIES);
  };

  Chat.prototype.sendRating = function (session, score, triesLeft) {
    var self = this;
    var path = format(CSAT_PATH, { id: encodeURIComponent(session.conversation_id) });
    fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + session.token },
      body: JSON.stringify({ score: score }),
      credentials: "same-origin",
    })
      .then(
        function (response) {
          if (response.status === 201) return { rated: true };
          if (response.status === 429) return { retryMs: retryAfterMs(response) };
          if (response.status >= 500) return { retryMs: CSAT_RETRY_MS };
          return errorCode(response).then(function (code) {
            // Already rated (another tab, a retry whose first answer was lost): kept.
            return { rated: response.status === 409 && code === "csat_already" };
          });
        },
        function () {
          return { retryMs: CSAT_RETRY_MS }; // the network, not the server
        }
      )
      .then(function (outcome) {
        if (outcome.rated) {
          self.ratingKept(session, score);
        } else if (outcome.retryMs && triesLeft > 1 && outcome.retryMs <= CSAT_WAIT_MAX_MS) {
          setTimeout(function () {
            self.sendRating(session, score, triesLeft - 1);
          }, outcome.retryMs);
        } else {
          self.ratingNotKept(session);
        }
      });
  };

  // The code of the API's JSON error ({"error": {"code", "message"}}); "" when there is none.
  function errorCode(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (answer) {
        return (answer && answer.error && answer.error.code) || "";
      });
  }

  // Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); never less than a second.
  function retryAfterMs(response) {
    var value = response.headers.get("Retry-After") || "";
    var seconds = /^\d+$/.test(value.trim())
      ? Number(value)
      : (Date.parse(value) - Date.now()) / 1000;
    return isNaN(seconds) ? RATE_LIMITED_WAIT_MS : Math.max(1, seconds) * 1000;
  }

  Chat.prototype.ratingKept = function (session, score) {
    this.writeRating(session.conversation_id, { open: false, seq: this.lastSeq, score: score });
    if (!this.session || this.session.conversation_id !== session.conversation_id) return;
    this.csatSending = false;
    this.csatDone = true;
    this.justRated = true;
    this.pendingCsatAsk = false;
    this.el.csatScale.removeAttribute("aria-busy");
    this.hideCsatError();
    var focused = document.activeElement;
    var focusWasHere = !focused || focused === document.body || this.el.csat.contains(focused);
    this.el.csat.hidden = false;
    this.el.csatScale.hidden = true;
    this.el.csatThanks.hidden = false;
    // The button that had focus is gone: keep keyboard users here, unless they moved on.
    if (focusWasHere) this.el.csatThanks.focus();
    this.renderStatus();
  };

  Chat.prototype.ratingNotKept = function (session) {
    if (!this.session || this.session.conversation_id !== session.conversation_id) return;
    this.csatSending = false;
    this.el.csatScale.removeAttribute("aria-busy");
    // The panel stays, buttons and all, so the person can try again.
    this.el.csatError.textContent = this.t.csatFailed;
    this.el.csatError.hidden = false;
    this.renderCsat();
  };

  Chat.prototype.hideCsatError = function () {
    this.el.csatError.hidden = true;
    this.el.csatError.textContent = "";
  };

  Chat.prototype.fitInput = function () {
    var input = this.el.input;
    input.style.height = "auto"; // CSSOM property, not a style attribute in markup
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  };

  function boot() {
    var config = readConfig();
    // Registered before anything async, so the widget's first "focus" is never missed.
    window.addEventListener("message", function (event) {
      var fromHost = event.source === window.parent && event.origin === config.parentOrigin;
      if (fromHost && event.data && event.data.type === "supportbot:focus") {
        document.getElementById("input").focus();
      }
    });
    var store = new Store(ownStorage(), config.embedded ? config.parentOrigin : null);
    store.ready().then(function () {
      new Chat(config, store).start();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
