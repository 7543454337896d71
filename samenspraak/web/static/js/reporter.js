/*
 * Street interview entry for razende reporters. Works offline:
 * - what is typed is kept as a draft in localStorage, so a reload loses nothing;
 * - 'Opslaan' puts the interview in a queue (localStorage) with its own id, which is the idempotency key;
 * - the queue is sent when the network is back; sending an entry twice never stores it twice;
 * - each entry belongs to the account that entered it, and is only sent while that account is logged in;
 * - an entry the server refuses can be put back into the form, to correct it.
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
  var addButton = document.getElementById("add-statement");
  var statementsFull = document.getElementById("statements-full");
  var account = Number(form.dataset.account);
  var maxStatements = Number(form.dataset.maxStatements);
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

  /* A moment as a datetime-local value ("2024-10-10T11:30", local time). */
  function localInput(moment) {
    var local = new Date(moment.getTime());
    local.setMinutes(local.getMinutes() - local.getTimezoneOffset());
    return local.toISOString().slice(0, 16);
  }

  function endOfToday() {
    return localInput(new Date()).slice(0, 10) + "T23:59";
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
    // The server takes at most maxStatements per interview.
    addButton.hidden = blocks.length >= maxStatements;
    statementsFull.hidden = !addButton.hidden;
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
    form.held_at.max = endOfToday();
    form.held_at.value = values.held_at || localInput(new Date());
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

  function otherAccount(entry) {
    // Entries queued before entries carried their account are sent as before.
    return entry.account !== undefined && entry.account !== account;
  }

  function restoreEntry(entry) {
    var typed = collect().statements.some(function (s) { return s.text.trim(); });
    if (typed && !window.confirm("Wat nu in het formulier staat, wordt vervangen door dit interview. Doorgaan?")) {
      return;
    }
    fillForm({
      place: entry.place,
      held_at: localInput(new Date(entry.held_at)),
      wijk: entry.wijk,
      age_group: entry.age_group,
      statements: entry.statements
    });
    saveDraft();
    removeEntry(entry.id);
    renderQueue();
    formError.textContent = "Teruggezet in het formulier. Niet opgeslagen: " + entry.error + " Verbeter het en sla het opnieuw op.";
    formError.hidden = false;
    statements.querySelector("[data-role=text]").focus();
  }

  function queueButton(label, action) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--quiet button--small";
    button.textContent = label;
    button.addEventListener("click", action);
    return button;
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
        item.appendChild(error);
        item.appendChild(queueButton("Terugzetten in het formulier", function () { restoreEntry(entry); }));
        item.appendChild(queueButton("Weghalen uit de wachtrij", function () {
          if (window.confirm("Dit interview is dan weg van dit toestel en wordt niet opgeslagen. Weghalen?")) {
            removeEntry(entry.id);
            renderQueue();
          }
        }));
      } else if (otherAccount(entry)) {
        var held = document.createElement("p");
        held.className = "notice notice--warning";
        held.textContent = "Ingevoerd onder een ander account. Log met dat account in om het te versturen.";
        item.appendChild(held);
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
      // A page the service worker kept can be from someone who logged in before: the session knows who it is now.
      if (data.account !== account) {
        account = data.account;
        renderQueue();
      }
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
          statements: entry.statements,
          account: entry.account === undefined ? null : entry.account,
          consultation: entry.consultation || null
        })
      });
    }).then(function (response) {
      if (response.ok) { return removeEntry(entry.id); }
      if (response.status === 401) { throw { loggedOut: true }; }
      if (response.status === 409) { throw { otherAccount: true }; }
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
    var pending = readQueue().filter(function (entry) { return !entry.error && !otherAccount(entry); });
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
      } else if (problem && problem.otherAccount) {
        connection.textContent = "Op dit toestel is nu iemand anders ingelogd. Laad de pagina opnieuw; uw invoer blijft bewaard.";
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

  addButton.addEventListener("click", function () {
    var block = addStatement();
    saveDraft();
    block.querySelector("[data-role=text]").focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var values = collect();
    values.statements = values.statements.filter(function (s) { return s.text.trim(); });
    var count = values.statements.length;
    var held = new Date(values.held_at);
    // The same bounds as the server's, so an entry is not refused after it left the phone.
    var problem = !count ? "Vul minstens één uitspraak in."
      : count > maxStatements ? "Er passen hoogstens " + maxStatements + " uitspraken in één interview. Zet de rest in een nieuw interview."
      : !values.held_at || isNaN(held) ? "Vul de datum en tijd in."
      : held < new Date(form.held_at.min) || held > new Date(endOfToday())
        ? "Deze datum klopt niet. Kies een datum tussen 1 januari 2000 en vandaag." : null;
    if (problem) {
      formError.textContent = problem;
      formError.hidden = false;
      (count && count <= maxStatements ? form.held_at : statements.querySelector("[data-role=text]")).focus();
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
      statements: values.statements,
      account: account,
      consultation: form.dataset.consultation
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
  fetchToken().catch(function () {}).then(sync);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/reporter/sw.js").catch(function () {
      connection.textContent = "Deze browser kan de pagina niet zonder internet openen. Uw invoer wordt wel bewaard.";
    });
  }
})();
