// Service worker: keeps the app shell for offline use. Pages are always fetched from the
// network first (check-in and records must be live); only when the network fails is the
// offline page shown. Content-hashed assets (/a/...) never change, so they are cache-first.
// An organizer's scanner and manual check-in pages save themselves in PAGES when opened
// (static/js/offline-queue.js), so they open without network and can queue records; the
// manual page keeps its roster there too. Signing out empties PAGES (app.js).
const PAGES = "pages-v1";
const CACHE = "shell-{{ shell | join('|') | hash_short }}";
const SHELL = {{ shell | tojson }};
const OFFLINE = {{ offline | tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== PAGES).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(PAGES)
          .then((pages) => pages.match(url.pathname))
          .then((page) => page || caches.match(OFFLINE))
      )
    );
    return;
  }
  if (url.pathname.startsWith("/a/")) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        const copy = response.clone();
        if (response.ok) caches.open(CACHE).then((cache) => cache.put(request, copy));
        return response;
      }))
    );
  }
});
