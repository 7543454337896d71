/*
 * Samenspraak chat widget. Embed with one tag:
 *   <script src="https://<samenspraak-host>/static/chat/widget.js" defer></script>
 * With an element id="samenspraak-chat" on the page the chat is shown inside it; otherwise a button opens it
 * in a panel. It talks only to the Samenspraak application it was loaded from, never to Rasa directly.
 * Text from the assistant is always inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ORIGIN = new URL(script.src, window.location.href).origin;
  var STORAGE_KEY = "samenspraak-chat";
  var RETRY_MS = 5000;
  var GREETING = "/greet";
  var TEXT = {
    title: "Praat mee",
    subtitle: "Digitale assistent van de gemeente, geen mens",
    open: "Praat mee over de stad",
    close: "Sluiten",
    label: "Uw bericht",
    hint: "Enter verstuurt, Shift+Enter maakt een nieuwe regel.",
    send: "Verstuur",
    you: "U: ",
    bot: "Assistent: ",
    thinking: "De assistent denkt na…",
    waking: "De assistent is nog niet bereikbaar. Misschien start hij net op: dat duurt ongeveer een minuut. We proberen het vanzelf opnieuw.",
    down: "De assistent is nu niet bereikbaar. Probeer het zo opnieuw.",
    empty: "De assistent gaf geen antwoord. Probeer het nog eens met andere woorden.",
    restart: "Opnieuw beginnen"
  };

  var state = loadState();
  var busy = false;
  var started = false;
  // Raised by "Opnieuw beginnen": answers and retries of an earlier conversation are then ignored.
  var conversation = 0;
  var nodes = {};

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY));
      if (saved && Array.isArray(saved.log)) { return saved; }
    } catch (ignored) { /* storage blocked or damaged: start fresh */ }
    return { sessionId: null, log: [] };
  }

  function saveState() {
    try { window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (ignored) { /* private mode */ }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function addStylesheet() {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = ORIGIN + "/static/chat/widget.css";
    document.head.appendChild(link);
  }

  function build() {
    var container = document.getElementById("samenspraak-chat");
    var inline = Boolean(container);
    var panel = el("section", "ssp-panel" + (inline ? " ssp-panel--inline" : ""));
    panel.setAttribute("aria-labelledby", "ssp-title");
    if (!inline) {
      panel.setAttribute("role", "dialog");
      panel.hidden = true;
    }

    var header = el("div", "ssp-header");
    var heading = el("h2", "ssp-title", TEXT.title);
    heading.id = "ssp-title";
    header.appendChild(heading);
    header.appendChild(el("p", "ssp-subtitle", TEXT.subtitle));
    var tools = el("div", "ssp-tools");
    var restart = el("button", "ssp-link", TEXT.restart);
    restart.type = "button";
    restart.addEventListener("click", restartConversation);
    tools.appendChild(restart);
    if (!inline) {
      var close = el("button", "ssp-close", TEXT.close);
      close.type = "button";
      close.addEventListener("click", closePanel);
      tools.appendChild(close);
    }
    header.appendChild(tools);
    panel.appendChild(header);

    var log = el("div", "ssp-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Gesprek");
    log.tabIndex = 0;
    panel.appendChild(log);

    var status = el("p", "ssp-status");
    status.setAttribute("role", "status");
    panel.appendChild(status);

    var form = el("form", "ssp-form");
    var label = el("label", "ssp-label", TEXT.label);
    label.htmlFor = "ssp-input";
    var hint = el("p", "ssp-hint", TEXT.hint);
    hint.id = "ssp-hint";
    var input = el("textarea", "ssp-input");
    input.id = "ssp-input";
    input.rows = 2;
    input.maxLength = 2000;
    input.setAttribute("aria-describedby", "ssp-hint");
    var button = el("button", "ssp-send", TEXT.send);
    button.type = "submit";
    var row = el("div", "ssp-row");
    row.appendChild(input);
    row.appendChild(button);
    form.appendChild(label);
    form.appendChild(hint);
    form.appendChild(row);
    panel.appendChild(form);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      // While the assistant is answering, the text stays in the box instead of getting lost.
      if (text && !busy) {
        input.value = "";
        send(text, text);
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });

    nodes = { panel: panel, log: log, status: status, input: input };
    if (inline) {
      container.appendChild(panel);
    } else {
      var launcher = el("button", "ssp-launcher", TEXT.open);
      launcher.type = "button";
      launcher.setAttribute("aria-expanded", "false");
      launcher.addEventListener("click", openPanel);
      panel.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { closePanel(); }
      });
      nodes.launcher = launcher;
      document.body.appendChild(launcher);
      document.body.appendChild(panel);
    }
    state.log.forEach(function (entry) { render(entry); });
    if (inline) { start(); }
  }

  function openPanel() {
    nodes.panel.hidden = false;
    nodes.launcher.setAttribute("aria-expanded", "true");
    nodes.launcher.hidden = true;
    nodes.input.focus();
    start();
  }

  function closePanel() {
    nodes.panel.hidden = true;
    nodes.launcher.hidden = false;
    nodes.launcher.setAttribute("aria-expanded", "false");
    nodes.launcher.focus();
  }

  function setStatus(text) {
    nodes.status.textContent = text || "";
  }

  function render(entry) {
    var message = el("div", "ssp-msg ssp-msg--" + entry.who);
    if (entry.who !== "note") {
      message.appendChild(el("span", "ssp-sr", entry.who === "user" ? TEXT.you : TEXT.bot));
    }
    message.appendChild(document.createTextNode(entry.text));
    nodes.log.appendChild(message);
    if (entry.buttons && entry.buttons.length) {
      var choices = el("div", "ssp-choices");
      entry.buttons.forEach(function (choice) {
        var button = el("button", "ssp-choice", choice.title);
        button.type = "button";
        button.disabled = Boolean(entry.answered);
        button.addEventListener("click", function () {
          send(choice.payload, choice.title);
          nodes.input.focus();
        });
        choices.appendChild(button);
      });
      nodes.log.appendChild(choices);
    }
    nodes.log.scrollTop = nodes.log.scrollHeight;
  }

  function add(entry) {
    state.log.push(entry);
    saveState();
    render(entry);
  }

  function closeChoices() {
    state.log.forEach(function (entry) { entry.answered = true; });
    Array.prototype.forEach.call(nodes.log.querySelectorAll(".ssp-choice"), function (button) {
      button.disabled = true;
    });
  }

  function request(path, options) {
    options = options || {};
    options.credentials = "omit";
    return fetch(ORIGIN + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || TEXT.down);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function send(message, shown) {
    if (busy) { return; }
    busy = true;
    var current = conversation;
    if (shown) {
      closeChoices();
      add({ who: "user", text: shown });
    }
    setStatus(TEXT.thinking);
    request("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: message, session_id: state.sessionId })
    }).then(function (data) {
      if (current !== conversation) { return; }
      state.sessionId = data.session_id;
      saveState();
      if (!data.messages.length) { add({ who: "note", text: TEXT.empty }); }
      data.messages.forEach(function (reply) {
        add({ who: "bot", text: reply.text, buttons: reply.buttons });
      });
      setStatus("");
    }).catch(function (error) {
      if (current !== conversation) { return; }
      if (error.status === 422 && state.sessionId) {
        state.sessionId = null;
        saveState();
      }
      // Give typed text back, so nothing the resident wrote is lost.
      if (shown && shown === message && !nodes.input.value) { nodes.input.value = message; }
      setStatus(error.message || TEXT.down);
    }).then(function () {
      if (current === conversation) { busy = false; }
    });
  }

  function start() {
    if (started) { return; }
    started = true;
    if (state.log.length) { return; }
    waitUntilReady();
  }

  function waitUntilReady() {
    var current = conversation;
    function retry(text) {
      setStatus(text);
      window.setTimeout(function () {
        if (current === conversation) { waitUntilReady(); }
      }, RETRY_MS);
    }
    request("/api/chat/status").then(function (data) {
      if (current !== conversation) { return; }
      if (data.ready) {
        setStatus("");
        send(GREETING, null);
      } else {
        retry(TEXT.waking);
      }
    }).catch(function () {
      if (current === conversation) { retry(TEXT.down); }
    });
  }

  function restartConversation() {
    conversation += 1;
    busy = false;
    setStatus("");
    state = { sessionId: null, log: [] };
    saveState();
    nodes.log.textContent = "";
    started = false;
    start();
    nodes.input.focus();
  }

  addStylesheet();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", build);
  } else {
    build();
  }
})();
