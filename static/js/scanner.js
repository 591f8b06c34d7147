// Scanner mode: read volunteers' QR cards with the camera and check them in or out.
// BarcodeDetector where the browser has it, else the vendored jsQR (loaded on demand).
// No inline script (CSP). The typed-code form below works without any of this.
//
// Offline: a scan that cannot reach the server is saved on the phone (IndexedDB) with
// the time of the scan and the action this phone decided (the first scan of a card
// checks in, the next one out), then uploaded in order when the network returns.
// Uploading twice is harmless: the server refuses a second check-in or check-out as
// already done, which counts as uploaded here. Refusals are listed for the organizer.
(() => {
  "use strict";
  const root = document.querySelector("[data-scanner]");
  if (!root) return;
  const video = document.getElementById("scanner-video");
  const canvas = document.getElementById("scanner-canvas");
  const result = document.getElementById("scanner-result");
  const start = document.getElementById("scanner-start");
  const unavailable = document.getElementById("scanner-unavailable");
  const form = document.getElementById("scanner-form");
  const input = form.querySelector("input[name=code]");
  const texts = document.getElementById("scanner-messages").dataset;
  const postUrl = root.dataset.postUrl;
  let csrf = form.querySelector("input[name=csrf_token]").value;
  const CARD = /(?:^|\/)(c[1-9][0-9]*\.[A-Za-z0-9_-]+)\/?(?:[?#].*)?$/;
  const SAME_CARD_MS = 30000;
  const NETWORK_STATUS = [0, 502, 503, 504];
  const DONE_ALREADY = ["already_checked_in", "already_checked_out"];
  const PAGES = "pages-v1";
  let detect = null;
  let busy = false;
  let lastCode = "";
  let lastAt = 0;
  let syncing = false;

  function show(message, ok) {
    result.textContent = message;
    result.className = "scanner-result " + (ok === true ? "ok" : ok === false ? "bad" : "");
  }

  // --- the queue on this phone: IndexedDB, or memory where the browser refuses it ------
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

  const cardKey = (code) => postUrl + " " + code;
  async function remember(code, action) {
    await put("cards", { key: cardKey(code), action });
  }

  async function queue(code, scannedAt) {
    // This phone decides: a card it last saw checked in is now checking out.
    const known = await get("cards", cardKey(code));
    const action = known && known.action === "check_in" ? "check_out" : "check_in";
    await put("scans", { id: newId(), url: postUrl, code, action, scannedAt, state: "queued" });
    await remember(code, action);
    show(texts.queued, null);
    await render();
    return true;
  }

  function when(iso) {
    const lang = document.documentElement.lang || undefined;
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Date(iso).toLocaleTimeString(lang, { ...options, timeZone: root.dataset.timezone });
    } catch (error) {
      return new Date(iso).toLocaleTimeString(lang, options); // an unknown time zone name
    }
  }

  function item(scan, message) {
    const li = document.createElement("li");
    const what = scan.action === "check_out" ? texts.checkOut : texts.checkIn;
    const card = texts.card.replace("{code}", scan.code.split(".")[0]);
    li.textContent = `${when(scan.scannedAt)} · ${what} · ${card}`;
    if (message) {
      const reason = document.createElement("span");
      reason.className = "reason";
      reason.textContent = message;
      li.append(reason);
    }
    return li;
  }

  async function render() {
    const scans = (await all("scans")).filter((s) => s.url === postUrl);
    scans.sort((a, b) => a.scannedAt.localeCompare(b.scannedAt));
    const queued = scans.filter((s) => s.state === "queued");
    const refused = scans.filter((s) => s.state === "conflict");
    document.getElementById("scanner-queue").replaceChildren(...queued.map((s) => item(s)));
    document.getElementById("scanner-conflicts")
      .replaceChildren(...refused.map((s) => item(s, s.message)));
    document.getElementById("queue-card").hidden = queued.length === 0;
    document.getElementById("conflicts-card").hidden = refused.length === 0;
  }

  function uploaded(message) {
    const list = document.getElementById("scanner-uploaded");
    const li = document.createElement("li");
    li.textContent = message;
    list.prepend(li);
    document.getElementById("uploaded-card").hidden = false;
  }

  // A fresh CSRF token (the saved page's may be old) and proof the network is back.
  async function freshToken() {
    const response = await fetch(window.location.pathname, {
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok || response.redirected) {
      show(texts.signedOut, false);
      return null;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const field = page.querySelector("#scanner-form input[name=csrf_token]");
    if (!field) return null;
    csrf = field.value;
    return csrf;
  }

  function send(code, extra) {
    const body = new FormData();
    body.append("csrf_token", csrf);
    body.append("code", code);
    for (const [key, value] of Object.entries(extra || {})) body.append(key, value);
    return fetch(postUrl, {
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
      const scans = (await all("scans")).filter((s) => s.url === postUrl && s.state === "queued");
      if (!scans.length) return;
      scans.sort((a, b) => a.scannedAt.localeCompare(b.scannedAt));
      if (!(await freshToken())) return;
      for (const scan of scans) {
        const response = await send(scan.code, { action: scan.action, scanned_at: scan.scannedAt });
        if (NETWORK_STATUS.includes(response.status)) break;
        const data = await response.json();
        if (data.ok || DONE_ALREADY.includes(data.code)) {
          await remove("scans", scan.id);
          uploaded(data.ok ? data.message : texts.already.replace("{name}", data.name || ""));
          done += 1;
        } else {
          await put("scans", { ...scan, state: "conflict", message: data.message });
        }
      }
    } catch (error) {
      // the network went away again (or an answer was not JSON): the rest stay queued
    } finally {
      syncing = false;
      await render();
      if (done) show(texts.synced.replace("{n}", String(done)), true);
    }
  }

  async function submit(code) {
    const scannedAt = new Date().toISOString();
    if (!navigator.onLine) return queue(code, scannedAt);
    let response;
    try {
      response = await send(code);
    } catch (error) {
      return queue(code, scannedAt);
    }
    if (NETWORK_STATUS.includes(response.status)) return queue(code, scannedAt);
    try {
      const data = await response.json();
      show(data.message, Boolean(data.ok));
      if (navigator.vibrate) navigator.vibrate(data.ok ? 80 : [60, 60, 60]);
      if (data.ok) await remember(code, data.action);
      return Boolean(data.ok);
    } catch (error) {
      show(texts.network, false);
      return false;
    }
  }

  async function handle(text) {
    const match = CARD.exec((text || "").trim());
    // A card left in front of the camera must not check its owner out a moment after
    // checking in: the same card is ignored for a while after it was accepted.
    if (!match || (match[1] === lastCode && Date.now() - lastAt < SAME_CARD_MS)) return;
    busy = true;
    if (await submit(match[1])) {
      lastCode = match[1];
      lastAt = Date.now();
    }
    window.setTimeout(() => { busy = false; }, 1500);
  }

  function loadJsQR() {
    return new Promise((resolve, reject) => {
      if (window.jsQR) return resolve(window.jsQR);
      const script = document.createElement("script");
      script.src = root.dataset.jsqrSrc;
      script.onload = () => resolve(window.jsQR);
      script.onerror = reject;
      document.head.append(script);
    });
  }

  async function makeDetector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async () => {
            const codes = await detector.detect(video);
            return codes.length ? codes[0].rawValue : null;
          };
        }
      } catch (error) {
        // fall through to jsQR
      }
    }
    const jsQR = await loadJsQR();
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async () => {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return null;
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      const image = context.getImageData(0, 0, width, height);
      const code = jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    };
  }

  async function loop() {
    if (!busy && video.readyState >= 2) {
      try {
        const text = await detect();
        if (text) await handle(text);
      } catch (error) {
        // a frame that cannot be read: try the next one
      }
    }
    window.setTimeout(loop, 200);
  }

  async function run() {
    start.hidden = true;
    show(texts.starting);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      detect = await makeDetector();
      show(texts.ready);
      loop();
    } catch (error) {
      video.hidden = true;
      unavailable.hidden = false;
      show("");
    }
  }

  // The typed code goes through the same path, so it is queued offline too.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const match = CARD.exec((input.value || "").trim());
    if (!match) {
      show(texts.notCard, false);
      input.focus();
      return;
    }
    input.value = "";
    input.focus();
    await submit(match[1]);
  });
  document.getElementById("scanner-sync").addEventListener("click", sync);
  document.getElementById("scanner-clear").addEventListener("click", async () => {
    for (const scan of await all("scans")) {
      if (scan.url === postUrl && scan.state === "conflict") await remove("scans", scan.id);
    }
    await render();
  });

  // Keep this page (and what it loads) on the phone, so it opens without network.
  async function keepForOffline() {
    if (!window.caches || !navigator.onLine) return;
    try {
      const response = await fetch(window.location.pathname, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok || response.redirected) return;
      const cache = await caches.open(PAGES);
      await cache.put(window.location.pathname, response);
      const assets = [root.dataset.jsqrSrc];
      document.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]")
        .forEach((el) => assets.push(el.getAttribute("href") || el.getAttribute("src")));
      for (const url of assets) {
        if (url && !(await caches.match(url))) await cache.add(url);
      }
    } catch (error) {
      // storage full or the network dropped: the page still works online
    }
  }

  const banner = document.getElementById("offline-banner");
  if (banner) banner.textContent = texts.offline;
  window.addEventListener("online", sync);
  window.setInterval(sync, 30000);
  render().then(sync);
  keepForOffline();

  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    unavailable.hidden = false;
    return;
  }
  start.hidden = false;
  start.addEventListener("click", run);
})();
