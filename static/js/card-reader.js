// A team leader adds the person in front of them by their card (templates/teams/lead/team.html):
// the camera reads the QR card on the person's phone and sends the form below, as if the
// code had been typed. BarcodeDetector where the browser has it, else the vendored jsQR
// (loaded on demand), as on the check-in scanner (static/js/scanner.js). No inline script
// (CSP); the typed-code form works without any of this.
(() => {
  "use strict";
  const root = document.querySelector("[data-card-reader]");
  const form = document.getElementById("card-reader-form");
  if (!root || !form) return;
  const video = document.getElementById("card-reader-video");
  const canvas = document.getElementById("card-reader-canvas");
  const start = document.getElementById("card-reader-start");
  const status = document.getElementById("card-reader-status");
  const input = form.querySelector("input[name=code]");
  // A card code (volunteers/cards.py): 2c<card key>.<mac>, alone or at the end of a link.
  const CARD = /(?:^|\/)((?:2c[A-Za-z0-9_-]{16,43}|c[1-9][0-9]*)\.[A-Za-z0-9_-]+)\/?(?:[?#].*)?$/;
  let sent = false;

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

  function stop() {
    const stream = video.srcObject;
    if (stream) stream.getTracks().forEach((track) => track.stop());
  }

  async function loop(detect) {
    if (sent) return;
    if (video.readyState >= 2) {
      try {
        const match = CARD.exec(((await detect()) || "").trim());
        if (match) {
          sent = true;
          stop();
          input.value = match[1];
          form.requestSubmit();
          return;
        }
      } catch (error) {
        // a frame that cannot be read: try the next one
      }
    }
    window.setTimeout(() => loop(detect), 200);
  }

  async function run() {
    start.hidden = true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const detect = await makeDetector();
      status.textContent = status.dataset.ready;
      loop(detect);
    } catch (error) {
      stop();
      video.hidden = true;
      status.textContent = status.dataset.unavailable;
    }
  }

  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    status.textContent = status.dataset.unavailable; // a handheld scanner still types the code
    return;
  }
  start.hidden = false;
  start.addEventListener("click", run);
  window.addEventListener("pagehide", stop);
})();
