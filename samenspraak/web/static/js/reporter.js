/*
 * Street interview entry for razende reporters. Works offline:
 * - what is typed is kept as a draft in localStorage, so a reload loses nothing;
 * - 'Opslaan' puts the interview in a queue (localStorage) with its own id, which is the idempotency key;
 * - the queue is sent when the network is back; sending an entry twice never stores it twice.
 * A service worker (/reporter/sw.js) keeps the page itself available without a network.
 */
(function () {
  "use strict";

  var QUEUE_KEY = "samenspraak-reporter-queue";
  var DRAFT_KEY = "samenspraak-reporter-draft";
  var PLACE_KEY = "samenspraak-reporter-place";
  var RETRY_MS = 30000;

  var form = document.getElementById("interview-form");
  var statements = document.getElementById("statements");
  var template = document.getElementById("statement-template");
  var formError = document.getElementById("form-error");
  var queueCount = document.getElementById("queue-count");
  var queueList = document.getElementById("queue-list");
  var connection = document.getElementById("connection");
  var syncing = false;
  var csrfToken = null;

  function readJson(key, fallback) {
    try {
      var value = JSON.parse(window.localStorage.getItem(key));
      return value === null ? fallback : value;
    } catch (ignored) {
      return fallback;
    }
  }

  function writeJson(key, value) {
    window.localStorage.setItem(key, JSON.stringify(value));
  }

  function newId() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function localNow() {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 16);
  }

  /* Statements */

  function renumber() {
    var blocks = statements.querySelectorAll(".statement");
    Array.prototype.forEach.call(blocks, function (block, index) {
      var number = index + 1;
      var text = block.querySelector("[data-role=text]");
      var theme = block.querySelector("[data-role=theme]");
      text.id = "statement-" + number;
      theme.id = "statement-theme-" + number;
      block.querySelector("[data-role=text-label]").htmlFor = text.id;
      block.querySelector("[data-role=text-label]").textContent = "Uitspraak " + number;
      block.querySelector("[data-role=theme-label]").htmlFor = theme.id;
      var remove = block.querySelector("[data-role=remove]");
      remove.hidden = blocks.length === 1;
      remove.setAttribute("aria-label", "Uitspraak " + number + " verwijderen");
    });
  }

  function addStatement(values) {
    var block = template.content.firstElementChild.cloneNode(true);
    block.querySelector("[data-role=text]").value = (values && values.text) || "";
    block.querySelector("[data-role=theme]").value = (values && values.theme) || "";
    block.querySelector("[data-role=remove]").addEventListener("click", function () {
      block.remove();
      renumber();
      saveDraft();
      statements.querySelector("[data-role=text]").focus();
    });
    statements.appendChild(block);
    renumber();
    return block;
  }

  /* Draft: everything typed survives a reload */

  function collect() {
    return {
      place: form.place.value.trim(),
      held_at: form.held_at.value,
      wijk: form.wijk.value,
      age_group: form.age_group.value,
      statements: Array.prototype.map.call(statements.querySelectorAll(".statement"), function (block) {
        return {
          text: block.querySelector("[data-role=text]").value,
          theme: block.querySelector("[data-role=theme]").value
        };
      })
    };
  }

  function saveDraft() {
    writeJson(DRAFT_KEY, collect());
  }

  function fillForm(values) {
    form.place.value = values.place || readJson(PLACE_KEY, "");
    form.held_at.value = values.held_at || localNow();
    form.wijk.value = values.wijk || "";
    form.age_group.value = values.age_group || "";
    statements.textContent = "";
    var items = values.statements && values.statements.length ? values.statements : [{}];
    items.forEach(addStatement);
  }

  /* Queue */

  function readQueue() {
    return readJson(QUEUE_KEY, []);
  }

  function describe(entry) {
    var first = entry.statements[0].text;
    var when = new Date(entry.held_at).toLocaleString("nl-NL", { dateStyle: "short", timeStyle: "short" });
    return (entry.place ? entry.place + ", " : "") + when + ": “" + (first.length > 60 ? first.slice(0, 60) + "…" : first) + "”";
  }

  function renderQueue() {
    var queue = readQueue();
    var waiting = queue.length;
    queueCount.textContent = waiting === 0
      ? "Alles is verstuurd."
      : "Nog niet verstuurd: " + waiting + (waiting === 1 ? " interview" : " interviews");
    queueList.textContent = "";
    queue.forEach(function (entry) {
      var item = document.createElement("li");
      var text = document.createElement("span");
      text.textContent = describe(entry);
      item.appendChild(text);
      if (entry.error) {
        var error = document.createElement("p");
        error.className = "notice notice--error";
        error.textContent = "Niet opgeslagen: " + entry.error;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button button--quiet button--small";
        remove.textContent = "Weghalen uit de wachtrij";
        remove.addEventListener("click", function () {
          writeJson(QUEUE_KEY, readQueue().filter(function (other) { return other.id !== entry.id; }));
          renderQueue();
        });
        item.appendChild(error);
        item.appendChild(remove);
      }
      queueList.appendChild(item);
    });
  }

  function updateEntry(id, changes) {
    writeJson(QUEUE_KEY, readQueue().map(function (entry) {
      return entry.id === id ? Object.assign(entry, changes) : entry;
    }));
  }

  function removeEntry(id) {
    writeJson(QUEUE_KEY, readQueue().filter(function (entry) { return entry.id !== id; }));
  }

  function fetchToken() {
    return fetch(form.dataset.sessionUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.status === 401) { throw { loggedOut: true }; }
      if (!response.ok) { throw { retry: true }; }
      return response.json();
    }).then(function (data) {
      csrfToken = data.csrf_token;
      return csrfToken;
    });
  }

  function post(entry, retried) {
    return (csrfToken ? Promise.resolve(csrfToken) : fetchToken()).then(function (token) {
      return fetch(form.dataset.submitUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({
          id: entry.id,
          place: entry.place || null,
          held_at: entry.held_at,
          wijk: entry.wijk || null,
          age_group: entry.age_group || null,
          statements: entry.statements
        })
      });
    }).then(function (response) {
      if (response.ok) { return removeEntry(entry.id); }
      if (response.status === 401) { throw { loggedOut: true }; }
      if (response.status === 403 && !retried) {
        csrfToken = null;
        return post(entry, true);
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          updateEntry(entry.id, { error: data.detail || "de gegevens kloppen niet." });
        });
      }
      throw { retry: true };
    });
  }

  function sync() {
    if (syncing) { return Promise.resolve(); }
    var pending = readQueue().filter(function (entry) { return !entry.error; });
    if (!pending.length) { renderQueue(); return Promise.resolve(); }
    syncing = true;
    connection.textContent = "Bezig met versturen…";
    var chain = pending.reduce(function (previous, entry) {
      return previous.then(function () { return post(entry, false); });
    }, Promise.resolve());
    return chain.then(function () {
      connection.textContent = "Verstuurd. Uw invoer wordt op dit toestel bewaard tot hij verstuurd is.";
    }).catch(function (problem) {
      if (problem && problem.loggedOut) {
        connection.textContent = "U bent uitgelogd. Log opnieuw in om te versturen; uw invoer blijft bewaard.";
      } else {
        connection.textContent = "Geen verbinding. We versturen automatisch zodra er weer internet is.";
      }
    }).then(function () {
      syncing = false;
      renderQueue();
    });
  }

  /* Events */

  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);

  document.getElementById("add-statement").addEventListener("click", function () {
    var block = addStatement();
    saveDraft();
    block.querySelector("[data-role=text]").focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var values = collect();
    values.statements = values.statements.filter(function (s) { return s.text.trim(); });
    var problem = !values.statements.length ? "Vul minstens één uitspraak in."
      : !values.held_at || isNaN(new Date(values.held_at)) ? "Vul de datum en tijd in." : null;
    if (problem) {
      formError.textContent = problem;
      formError.hidden = false;
      (values.statements.length ? form.held_at : statements.querySelector("[data-role=text]")).focus();
      return;
    }
    formError.hidden = true;
    var queue = readQueue();
    queue.push({
      id: newId(),
      place: values.place,
      held_at: new Date(values.held_at).toISOString(),
      wijk: values.wijk,
      age_group: values.age_group,
      statements: values.statements
    });
    writeJson(QUEUE_KEY, queue);
    writeJson(PLACE_KEY, values.place);
    window.localStorage.removeItem(DRAFT_KEY);
    fillForm({ place: values.place });
    renderQueue();
    statements.querySelector("[data-role=text]").focus();
    sync();
  });

  document.getElementById("sync-now").addEventListener("click", sync);
  window.addEventListener("online", sync);
  window.setInterval(sync, RETRY_MS);

  fillForm(readJson(DRAFT_KEY, {}));
  renderQueue();
  sync();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/reporter/sw.js").catch(function () {
      connection.textContent = "Deze browser kan de pagina niet zonder internet openen. Uw invoer wordt wel bewaard.";
    });
  }
})();
