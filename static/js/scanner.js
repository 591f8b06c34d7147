// Scanner mode: read volunteers' QR cards with the camera and check them in or out.
// BarcodeDetector where the browser has it, else the vendored jsQR (loaded on demand).
// No inline script (CSP). The typed-code form below works without any of this.
//
// Offline: a scan that cannot reach the server is queued on the phone with the time of
// the scan and the action this phone decided (the first scan of a card checks in, the
// next one out), by the queue shared with the manual check-in page
// (static/js/offline-queue.js): uploaded in order, once, when the network returns;
// refusals are listed for the organizer.
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
  const csrf = form.querySelector("input[name=csrf_token]").value;
  // A card code (volunteers/cards.py): 2c<card key>.<mac>; the retired c<id>.<signature>
  // is still sent, for the server to answer that the card has been replaced.
  const CARD = /(?:^|\/)((?:2c[A-Za-z0-9_-]{16,43}|c[1-9][0-9]*)\.[A-Za-z0-9_-]+)\/?(?:[?#].*)?$/;
  const SAME_CARD_MS = 30000;
  let detect = null;
  let busy = false;
  let lastCode = "";
  let lastAt = 0;

  function show(message, ok) {
    result.textContent = message;
    result.className = "scanner-result " + (ok === true ? "ok" : ok === false ? "bad" : "");
  }

  // --- the queue on this phone (static/js/offline-queue.js) ---------------------------
  const { store, clock, NETWORK_STATUS } = window.OfflineQueue;
  const queue = window.OfflineQueue.create({
    url: postUrl,
    csrf,
    tokenSelector: "#scanner-form input[name=csrf_token]",
    fields: (scan) => ({ code: scan.code, action: scan.action, scanned_at: scan.scannedAt }),
    changed: render,
    uploaded: (scan, data) =>
      uploaded(data.ok ? data.message : texts.already.replace("{name}", data.name || "")),
    signedOut: () => show(texts.signedOut, false),
    synced: (n) => show(texts.synced.replace("{n}", String(n)), true),
  });

  const cardKey = (code) => postUrl + " " + code;
  async function remember(code, action) {
    await store.put("cards", { key: cardKey(code), action });
  }

  async function enqueue(code, scannedAt) {
    // This phone decides: a card it last saw checked in is now checking out.
    const known = await store.get("cards", cardKey(code));
    const action = known && known.action === "check_in" ? "check_out" : "check_in";
    await queue.add([{ code, action, scannedAt }]);
    await remember(code, action);
    show(texts.queued, null);
    return true;
  }

  function line(scan) {
    const what = scan.action === "check_out" ? texts.checkOut : texts.checkIn;
    // The start of the card's key tells queued scans apart; the whole code is not shown.
    const card = texts.card.replace("{code}", scan.code.split(".")[0].slice(0, 8));
    return `${clock(scan.scannedAt, root.dataset.timezone)} · ${what} · ${card}`;
  }

  async function render() {
    window.OfflineQueue.showQueue(await queue.items(), "scanner-queue", "scanner-conflicts", line);
  }

  function uploaded(message) {
    window.OfflineQueue.showUploaded("scanner-uploaded", message);
  }

  async function submit(code, confirmed) {
    const scannedAt = new Date().toISOString();
    if (!navigator.onLine) return enqueue(code, scannedAt);
    let response;
    try {
      response = await queue.send(confirmed ? { code, confirmed: "1" } : { code });
    } catch (error) {
      return enqueue(code, scannedAt);
    }
    if (NETWORK_STATUS.includes(response.status)) return enqueue(code, scannedAt);
    try {
      const data = await response.json();
      if (data.confirm && !confirmed) {
        // A check-out that would credit 0 h (a second scan right after the first): ask.
        if (window.confirm(data.message)) return submit(code, true);
        show(texts.staysIn.replace("{name}", data.name || ""), null);
        return true; // the card is "handled": not asked again at once
      }
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
  document.getElementById("scanner-sync").addEventListener("click", queue.sync);
  document.getElementById("scanner-clear").addEventListener("click", queue.clearRefused);

  const banner = document.getElementById("offline-banner");
  if (banner) banner.textContent = texts.offline;
  queue.start();
  window.OfflineQueue.keepPage([root.dataset.jsqrSrc]);

  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    unavailable.hidden = false;
    return;
  }
  start.hidden = false;
  start.addEventListener("click", run);
})();
