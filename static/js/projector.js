// Projector mode: poll live.json, swap the QR when its time step changes, update counts.
// Progressive enhancement only; no inline script anywhere (CSP).
(() => {
  "use strict";
  const root = document.querySelector("[data-live-url]");
  if (!root) return;
  const liveUrl = root.dataset.liveUrl;
  const pollMs = Number(root.dataset.pollMs) || 3000;
  const qr = document.getElementById("projector-qr");
  const latest = document.getElementById("latest");
  const offline = document.getElementById("offline");
  let step = Number(root.dataset.step);

  function render(data) {
    if (data.step !== step) {
      qr.innerHTML = data.qr_svg; // markup made by the server's QR renderer, not user input
      qr.dataset.url = data.url;
      step = data.step;
      root.dataset.step = String(step);
    }
    for (const el of root.querySelectorAll("[data-field]")) {
      const value = data[el.dataset.field];
      if (value !== undefined) el.textContent = String(value);
    }
    const items = data.latest.map((item) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = item.name;
      const at = document.createElement("span");
      at.className = "at";
      at.textContent = item.at;
      li.append(name, " ", at);
      return li;
    });
    if (!items.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = latest.dataset.empty;
      items.push(empty);
    }
    latest.replaceChildren(...items);
  }

  async function tick() {
    let wait = pollMs;
    try {
      const response = await fetch(liveUrl, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.includes("application/json")) throw new Error(String(response.status));
      const data = await response.json();
      render(data);
      offline.hidden = true;
      // Wake up just after the step boundary so the new code appears on time.
      wait = Math.max(200, Math.min(pollMs, data.next_in * 1000 + 150));
    } catch (error) {
      offline.hidden = false;
      wait = 5000;
    }
    window.setTimeout(tick, wait);
  }

  const full = document.querySelector("[data-fullscreen]");
  if (full && document.documentElement.requestFullscreen) {
    full.addEventListener("click", () => document.documentElement.requestFullscreen());
  } else if (full) {
    full.hidden = true;
  }
  window.setTimeout(tick, 500);
})();
