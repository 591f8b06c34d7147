// Organizer's activity page: refresh the attendance section when someone arrives or
// leaves, without reloading the page (polls the counts; CSP-safe, no inline script).
(() => {
  "use strict";
  const section = document.querySelector("[data-live-counts]");
  if (!section) return;
  const url = section.dataset.liveCounts;
  let last = section.dataset.signature;

  async function refreshSection() {
    const response = await fetch(window.location.pathname, { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById(section.id);
    if (fresh) section.replaceChildren(...fresh.childNodes);
  }

  async function tick() {
    if (document.visibilityState === "visible") {
      try {
        const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
        const type = response.headers.get("Content-Type") || "";
        if (response.ok && type.includes("application/json")) {
          const data = await response.json();
          const signature = `${data.checked_in}/${data.checked_out}/${data.total_hours}`;
          if (signature !== last) {
            last = signature;
            await refreshSection();
          }
        }
      } catch (error) {
        // offline for a moment: try again at the next tick
      }
    }
    window.setTimeout(tick, 5000);
  }
  window.setTimeout(tick, 5000);
})();
