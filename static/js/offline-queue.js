// The organizer's offline queue, shared by the scanner and the manual check-in page.
// No inline script (CSP); loaded before the page's own script, both with `defer`.
//
// A record that cannot reach the server is saved on the phone (IndexedDB, or memory where
// the browser refuses it) with the time of the scan or tick and the action decided on the
// phone, then uploaded in that order when the network returns. Uploading twice is
// harmless: the server refuses a second check-in or check-out as already done, which
// counts as uploaded here. Refusals stay on the phone, listed for the organizer, until
// cleared. The server side is volunteer_app/activities/queued.py.
//
// Records of both pages live in one store ("scans" of the database "scanner", the names
// it had when only the scanner queued): { id, url, action, scannedAt (the time of the
// scan or tick, ISO 8601 UTC), queuedAt, state: "queued" | "conflict", message, ... },
// plus what the page needs to upload and show it. `url` is the page's POST URL.
(() => {
  "use strict";
  const NETWORK_STATUS = [0, 502, 503, 504];
  const DONE_ALREADY = ["already_checked_in", "already_checked_out"];
  const PAGES = "pages-v1";

  // --- IndexedDB, or memory where the browser refuses it ------------------------------
  const memory = { scans: new Map(), cards: new Map() };
  const dbReady = new Promise((resolve) => {
    if (!window.indexedDB) return resolve(null);
    let request;
    try {
      request = indexedDB.open("scanner", 1);
    } catch (error) {
      return resolve(null);
    }
    request.onupgradeneeded = () => {
      request.result.createObjectStore("scans", { keyPath: "id" });
      request.result.createObjectStore("cards", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
  });

  async function store(name, mode, work) {
    const db = await dbReady;
    if (!db) return work(null, memory[name]);
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const request = work(tx.objectStore(name), null);
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const put = (name, value) => store(name, "readwrite", (s, m) =>
    s ? s.put(value) : void m.set(value.id || value.key, value));
  const get = (name, key) => store(name, "readonly", (s, m) => (s ? s.get(key) : m.get(key)));
  const remove = (name, key) => store(name, "readwrite", (s, m) =>
    s ? s.delete(key) : void m.delete(key));
  const all = (name) => store(name, "readonly", (s, m) => (s ? s.getAll() : [...m.values()]));

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  let counter = 0;
  function stamp() {
    counter += 1;
    return new Date().toISOString() + String(counter).padStart(6, "0");
  }

  // Oldest first: by the time of the scan or tick, then in the order they were queued.
  function byTime(a, b) {
    return a.scannedAt.localeCompare(b.scannedAt) ||
      String(a.queuedAt || "").localeCompare(String(b.queuedAt || ""));
  }

  // "09:12" in the activity's time zone (Beijing time), whatever the phone's zone.
  function clock(iso, timeZone) {
    const lang = document.documentElement.lang || undefined;
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Date(iso).toLocaleTimeString(lang, { ...options, timeZone });
    } catch (error) {
      return new Date(iso).toLocaleTimeString(lang, options); // an unknown time zone name
    }
  }

  // A page's queue. options:
  //   url           the POST URL records are uploaded to (and that they belong to)
  //   csrf          the page's CSRF token (replaced by a fresh one before each upload)
  //   tokenSelector where a fresh copy of the page holds its CSRF token
  //   fields(item)  the form fields that upload one record, besides the CSRF token
  //   changed()     called after the queue changed (to show it)
  //   uploaded(item, data), refused(item, data), signedOut(), synced(count)
  function create(options) {
    const url = options.url;
    let csrf = options.csrf;
    let syncing = false;
    const call = (name, ...args) => (options[name] ? options[name](...args) : undefined);

    async function items() {
      return (await all("scans")).filter((s) => s.url === url).sort(byTime);
    }

    async function add(records) {
      for (const record of records) {
        await put("scans", { ...record, id: newId(), url, queuedAt: stamp(), state: "queued" });
      }
      await call("changed");
    }

    // A fresh CSRF token (the saved page's may be old) and proof the network is back.
    async function freshToken() {
      const response = await fetch(window.location.pathname, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok || response.redirected) {
        call("signedOut");
        return null;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const field = page.querySelector(options.tokenSelector || "input[name=csrf_token]");
      if (!field) return null;
      csrf = field.value;
      return csrf;
    }

    function send(fields) {
      const body = new FormData();
      body.append("csrf_token", csrf);
      for (const [key, value] of Object.entries(fields)) {
        for (const one of [].concat(value)) body.append(key, one);
      }
      return fetch(url, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    }

    async function sync() {
      if (syncing || !navigator.onLine) return;
      syncing = true;
      let done = 0;
      try {
        const queued = (await items()).filter((s) => s.state === "queued");
        if (!queued.length) return;
        if (!(await freshToken())) return;
        for (const item of queued) {
          const response = await send(options.fields(item));
          if (NETWORK_STATUS.includes(response.status)) break;
          const data = await response.json();
          if (data.ok || DONE_ALREADY.includes(data.code)) {
            await remove("scans", item.id);
            call("uploaded", item, data);
            done += 1;
          } else {
            await put("scans", { ...item, state: "conflict", message: data.message });
            call("refused", item, data);
          }
        }
      } catch (error) {
        // the network went away again (or an answer was not JSON): the rest stay queued
      } finally {
        syncing = false;
        await call("changed");
        if (done) call("synced", done);
      }
    }

    async function clearRefused() {
      for (const item of await items()) {
        if (item.state === "conflict") await remove("scans", item.id);
      }
      await call("changed");
    }

    // Upload when the network returns, now and then, and when the page opens.
    function start() {
      window.addEventListener("online", sync);
      window.setInterval(sync, 30000);
      return Promise.resolve(call("changed")).then(sync);
    }

    return { items, add, send, sync, clearRefused, start, token: () => csrf };
  }

  // How old a kept response is, by its Date header (Infinity when unknown).
  function age(response) {
    const date = Date.parse(response.headers.get("date") || "");
    return Number.isNaN(date) ? Infinity : Date.now() - date;
  }

  async function kept(url) {
    if (!window.caches) return null;
    try {
      return (await (await caches.open(PAGES)).match(url)) || null;
    } catch (error) {
      return null;
    }
  }

  // Keep this page (and what it loads, and `extra` URLs) on the phone, so it opens without
  // network; signing out empties PAGES (app.js). Offline pages are served from it by
  // templates/pwa/sw.js, matched by path (a search's ?q= opens the same saved page).
  // A copy younger than `freshFor` ms is kept as it is (a page reloaded at every search).
  async function keepPage(extra, freshFor) {
    if (!window.caches || !navigator.onLine) return;
    try {
      const copy = freshFor ? await kept(window.location.pathname) : null;
      if (copy && age(copy) < freshFor) return;
      const response = await fetch(window.location.pathname, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok || response.redirected) return;
      const cache = await caches.open(PAGES);
      await cache.put(window.location.pathname, response);
      const assets = (extra || []).slice();
      document.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]")
        .forEach((el) => assets.push(el.getAttribute("href") || el.getAttribute("src")));
      for (const url of assets) {
        if (url && !(await caches.match(url))) await cache.add(url);
      }
    } catch (error) {
      // storage full or the network dropped: the page still works online
    }
  }

  // Download JSON while online and keep it in PAGES; offline (or on failure), the kept
  // copy, as also when that is younger than `freshFor` ms. Returns { data, fresh } or null
  // when there is neither.
  async function keepJson(url, freshFor) {
    const copy = freshFor ? await kept(url) : null;
    if (copy && age(copy) < freshFor) return { data: await copy.json(), fresh: false };
    if (navigator.onLine) {
      try {
        const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          if (window.caches) {
            try {
              await (await caches.open(PAGES)).put(url, copy);
            } catch (error) {
              // storage full: still usable for this visit
            }
          }
          return { data: await response.json(), fresh: true };
        }
      } catch (error) {
        // no network after all: fall back to the kept copy
      }
    }
    const last = await kept(url);
    try {
      return last ? { data: await last.json(), fresh: false } : null;
    } catch (error) {
      return null;
    }
  }

  // One line of a page's queue lists, with the server's reason when it refused the item.
  function listItem(text, reason) {
    const li = document.createElement("li");
    li.textContent = text;
    if (reason) {
      const span = document.createElement("span");
      span.className = "reason";
      span.textContent = reason;
      li.append(span);
    }
    return li;
  }

  // Fill the "saved on this phone" and "not recorded" lists (ids given) from the queue's
  // items, each described by line(item); a card stays hidden while its list is empty.
  // Returns the items still waiting.
  function showQueue(items, queueList, conflictList, line) {
    const waiting = items.filter((i) => i.state === "queued");
    const refused = items.filter((i) => i.state === "conflict");
    document.getElementById(queueList).replaceChildren(...waiting.map((i) => listItem(line(i))));
    document.getElementById(conflictList)
      .replaceChildren(...refused.map((i) => listItem(line(i), i.message)));
    document.getElementById("queue-card").hidden = waiting.length === 0;
    document.getElementById("conflicts-card").hidden = refused.length === 0;
    return waiting;
  }

  // Add what an upload answered on top of the "uploaded" list (id given) and show its card.
  function showUploaded(list, message) {
    document.getElementById(list).prepend(listItem(message));
    document.getElementById("uploaded-card").hidden = false;
  }

  window.OfflineQueue = {
    create,
    showQueue,
    showUploaded,
    keepPage,
    keepJson,
    clock,
    store: { put, get, remove, all },
    NETWORK_STATUS,
    DONE_ALREADY,
  };
})();
