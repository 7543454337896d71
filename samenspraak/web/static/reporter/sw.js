/*
 * Service worker for the reporter page: keeps /reporter/ and its styles and scripts available offline.
 * The page is fetched from the network first (so it is fresh when online) and from the cache otherwise.
 * API calls are never cached or answered here: the page queues entries itself (see reporter.js).
 */
"use strict";

var CACHE = "samenspraak-reporter-v1";
var PAGE = "/reporter/";
var ASSET = /(?:href|src)="(\/static\/[^"]+)"/g;

function assetsOf(html) {
  var urls = [];
  var match;
  while ((match = ASSET.exec(html)) !== null) { urls.push(match[1].replace(/&amp;/g, "&")); }
  return urls;
}

// Store a fresh copy of the page and everything it links to under /static/.
function cachePage(response) {
  if (!response.ok || response.redirected) { return Promise.resolve(); }
  return caches.open(CACHE).then(function (cache) {
    return response.clone().text().then(function (html) {
      return cache.addAll(assetsOf(html)).then(function () { return cache.put(PAGE, response); });
    });
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    fetch(PAGE, { credentials: "same-origin", cache: "no-store" })
      .then(cachePage)
      .catch(function () { /* offline at install: the next online visit fills the cache */ })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname === PAGE) {
    event.respondWith(
      fetch(request).then(function (response) {
        return cachePage(response.clone()).then(function () { return response; }, function () { return response; });
      }).catch(function () {
        return caches.match(PAGE).then(function (cached) { return cached || Response.error(); });
      })
    );
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(request).then(function (cached) { return cached || fetch(request); })
    );
  }
});
