// The organizer's manual check-in page, offline. Without this file the page works as plain
// form posts (search on the server, "Check in ticked" / "Check out ticked", walk-ins).
// No inline script (CSP).
//
// With it:
// - the page keeps itself and a roster on the phone (static/js/offline-queue.js): the
//   volunteers signed up for or checked in to this activity and those who served at its
//   station recently, with masked numbers and their last 4 digits, never a full number;
// - without network, a search runs over that roster (a number matches by its last 4
//   digits), and "Check in ticked" / "Check out ticked" queue one record per volunteer
//   with the time they were ticked, uploaded once when the network returns;
// - with network, the buttons post the form as before (the server's messages follow);
//   if the post cannot get through, the ticks are queued instead;
// - registering a walk-in stays online-only: offline the form is held, with what was
//   typed, and says so.
(() => {
  "use strict";
  const root = document.querySelector("[data-manual-checkin]");
  if (!root || !window.OfflineQueue) return;
  const { clock, NETWORK_STATUS } = window.OfflineQueue;
  const texts = document.getElementById("checkin-messages").dataset;
  const result = document.getElementById("checkin-result");
  const searchForm = document.getElementById("checkin-search");
  const searchInput = searchForm.querySelector("input[name=q]");
  const localResults = document.getElementById("local-results");
  const serverResults = document.getElementById("server-results");
  const rosterStatus = document.getElementById("roster-status");
  const timeZone = root.dataset.timezone;
  const limit = Number(root.dataset.searchLimit) || 20;
  const tickedAt = new WeakMap(); // checkbox → when it was ticked
  let roster = null; // { downloaded_at, volunteers: [...] }
  let lastQuery = "";
  let lastButton = null;

  function show(message, ok) {
    result.textContent = message;
    result.className = "scanner-result checkin-result " +
      (ok === true ? "ok" : ok === false ? "bad" : "");
  }

  // --- the queue on this phone ----------------------------------------------------------
  const queue = window.OfflineQueue.create({
    url: root.dataset.postUrl,
    csrf: templateToken(),
    fields: (item) => ({
      volunteer_ids: String(item.volunteerId),
      action: item.action,
      ticked_at: item.scannedAt,
    }),
    changed: render,
    uploaded: (item, data) =>
      uploaded(data.ok ? data.message : texts.already.replace("{name}", data.name || item.name)),
    signedOut: () => show(texts.signedOut, false),
    synced: (n) => {
      show(texts.synced.replace("{n}", String(n)), true);
      refreshRoster(true);
      refreshPresent();
    },
  });

  function templateToken() {
    const template = document.getElementById("local-results-form");
    const field = template.content.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function actionLabel(action) {
    return action === "check_out" ? texts.checkOut : texts.checkIn;
  }

  function line(record) {
    const when = clock(record.scannedAt, timeZone);
    return `${when} · ${actionLabel(record.action)} · ${record.name} ${record.phone}`;
  }

  let waiting = [];
  async function render() {
    waiting = window.OfflineQueue.showQueue(
      await queue.items(), "checkin-queue", "checkin-conflicts", line);
    document.getElementById("queue-count").textContent =
      texts.waiting.replace("{n}", String(waiting.length));
    banner();
    if (!localResults.hidden) showResults(lastQuery);
  }

  function uploaded(message) {
    window.OfflineQueue.showUploaded("checkin-uploaded", message);
  }

  // The page's own offline notice, with how many check-ins wait on this phone.
  function banner() {
    const element = document.getElementById("offline-banner");
    if (!element) return;
    element.textContent = texts.offline;
    if (waiting.length) {
      const count = document.createElement("strong");
      count.className = "nowrap";
      count.textContent = texts.waiting.replace("{n}", String(waiting.length));
      element.append(" ", count);
    }
  }

  // After an upload, the counts and "Here now" of a page opened offline are old: take them
  // from a fresh copy of the page (and keep that copy for the next time offline).
  async function refreshPresent() {
    try {
      const response = await fetch(window.location.pathname, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok || response.redirected) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const selector of ["[data-manual-checkin] .counts", "#present"]) {
        const old = document.querySelector(selector);
        const now = fresh.querySelector(selector);
        if (old && now) old.replaceWith(document.adoptNode(now));
      }
      document.querySelectorAll("#present form[data-group-form]").forEach(wireGroupForm);
      window.OfflineQueue.keepPage([], 0);
    } catch (error) {
      // the network went away again: the next upload tries again
    }
  }

  // --- the roster and searching it --------------------------------------------------------
  // The page reloads at every search and check-in: a roster (and page) kept less than
  // half a minute ago is not downloaded again, unless asked (after an upload).
  const FRESH_MS = 30000;
  async function refreshRoster(force) {
    const kept = await window.OfflineQueue.keepJson(
      root.dataset.rosterUrl, force === true ? 0 : FRESH_MS);
    if (kept) roster = kept.data;
    if (roster) {
      rosterStatus.textContent = texts.roster
        .replace("{n}", String(roster.volunteers.length))
        .replace("{time}", clock(roster.downloaded_at, timeZone));
    } else {
      rosterStatus.textContent = texts.noRoster;
    }
    rosterStatus.hidden = false;
  }

  const NON_DIGITS = /[\s\-()（）+]/g;
  function search(query) {
    const text = (query || "").normalize("NFKC").trim();
    if (!text || !roster) return [];
    const digits = text.replace(NON_DIGITS, "");
    let match;
    if (/^[0-9]+$/.test(digits)) {
      // as on the server: the full number, or exactly its last 4 digits
      if (digits.length !== 4 && digits.length < 11) return [];
      const last4 = digits.slice(-4);
      const prefix = digits.length >= 11 ? digits.slice(-11, -8) : "";
      match = (v) => v.last4 === last4 && v.phone.startsWith(prefix);
    } else {
      const pattern = text.replace(/[\\%_]/g, "").toLowerCase();
      if (!pattern) return [];
      match = (v) => v.name.toLowerCase().includes(pattern);
    }
    return roster.volunteers.filter(match).slice(0, limit);
  }

  // What this phone knows of a volunteer here: the roster's state, then what waits.
  function stateOf(volunteer) {
    const mine = waiting.filter((r) => r.volunteerId === volunteer.id);
    if (!mine.length) return { state: volunteer.state, waits: false };
    const last = mine[mine.length - 1].action;
    return { state: last === "check_out" ? "out" : "in", waits: true };
  }

  function pick(volunteer) {
    const row = document.createElement("div");
    row.className = "pick";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "volunteer_ids";
    box.value = String(volunteer.id);
    box.id = "local-pick-" + volunteer.id;
    const label = document.createElement("label");
    label.htmlFor = box.id;
    const phone = document.createElement("span");
    phone.className = "small nowrap";
    phone.textContent = volunteer.phone;
    label.append(volunteer.name + " ", phone);
    row.append(box, label);
    const { state, waits } = stateOf(volunteer);
    if (state) {
      const tag = document.createElement("span");
      tag.className = "tag " + (state === "out" ? "tag-confirmed" : "tag-open");
      tag.textContent = (state === "out" ? texts.checkedOut : texts.checkedIn) +
        (waits ? " · " + texts.waitingTag : "");
      row.append(tag);
    }
    return row;
  }

  function showResults(query) {
    lastQuery = query;
    const found = search(query);
    const ticked = new Set([...localResults.querySelectorAll("input:checked")].map((b) => b.value));
    localResults.replaceChildren();
    if (!found.length) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = roster ? texts.nobody : texts.noRoster;
      localResults.append(empty);
    } else {
      const form = document.getElementById("local-results-form").content
        .firstElementChild.cloneNode(true);
      form.querySelector("legend").textContent = texts.results.replace("{query}", query);
      form.querySelector(".local-picks").replaceChildren(...found.map(pick));
      form.querySelectorAll("input[name=volunteer_ids]").forEach((box) => {
        if (ticked.has(box.value)) box.checked = true;
      });
      wireGroupForm(form);
      localResults.append(form);
    }
    localResults.hidden = false;
    if (serverResults) serverResults.hidden = true;
  }

  searchForm.addEventListener("submit", (event) => {
    if (navigator.onLine) return; // the server searches (a post: no number in the URL)
    event.preventDefault();
    showResults(searchInput.value.trim()); // never into the URL: a number stays off the logs
  });

  // --- ticking, and the two buttons -------------------------------------------------------
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.name === "volunteer_ids" && box.checked) tickedAt.set(box, new Date().toISOString());
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[name=action]");
    if (button) lastButton = button;
  });

  // Who a ticked box names: the server's lists carry the name and masked number.
  function volunteerOf(box) {
    const id = Number(box.value);
    const known = (roster && roster.volunteers.find((v) => v.id === id)) || {};
    return {
      id,
      name: box.dataset.name || known.name || "",
      phone: box.dataset.phone || known.phone || "",
    };
  }

  async function enqueue(boxes, action) {
    const now = new Date().toISOString();
    const records = boxes.map((box) => {
      const volunteer = volunteerOf(box);
      return {
        action,
        scannedAt: tickedAt.get(box) || now,
        volunteerId: volunteer.id,
        name: volunteer.name,
        phone: volunteer.phone,
      };
    });
    boxes.forEach((box) => { box.checked = false; });
    await queue.add(records);
    show(texts.queued.replace("{n}", String(waiting.length)), null);
  }

  function wireGroupForm(form) {
    form.addEventListener("submit", async (event) => {
      const button = event.submitter || lastButton;
      const action = button ? button.value : "";
      const boxes = [...form.querySelectorAll("input[name=volunteer_ids]:checked")];
      if (!boxes.length && navigator.onLine) return; // the server says what is missing
      event.preventDefault();
      if (!boxes.length) {
        show(texts.tick, false);
        return;
      }
      if (navigator.onLine) {
        // (form.action would be the buttons named "action", not the attribute)
        const target = new URL(form.getAttribute("action"), window.location.href);
        const body = new FormData(form);
        body.append("action", action);
        try {
          const response = await fetch(target.href, {
            method: "POST",
            body,
            credentials: "same-origin",
            redirect: "manual",
          });
          if (response.type === "opaqueredirect") {
            // done, as without this script: the page shows the server's messages
            window.location.assign(window.location.pathname);
            return;
          }
          if (!NETWORK_STATUS.includes(response.status)) {
            // e.g. the kept page's CSRF token is too old: upload one by one with a fresh one
            await enqueue(boxes, action);
            queue.sync();
            return;
          }
        } catch (error) {
          // no network after all: keep them on the phone
        }
      }
      await enqueue(boxes, action);
    });
  }
  document.querySelectorAll("form[data-group-form]").forEach(wireGroupForm);

  // --- walk-ins: online only, and nothing typed is lost -----------------------------------
  const walkIn = document.getElementById("walkin-form");
  const walkInOffline = document.getElementById("walkin-offline");
  const DRAFT = "walk-in " + window.location.pathname;
  const draftFields = ["name", "phone"].map((name) => walkIn.querySelector(`[name=${name}]`));
  function saveDraft() {
    try {
      sessionStorage.setItem(DRAFT, JSON.stringify(draftFields.map((f) => f.value)));
    } catch (error) {
      // private mode: the fields themselves still keep the text
    }
  }
  try {
    const draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    if (draft && draftFields.every((f) => !f.value)) {
      draftFields.forEach((f, i) => { f.value = draft[i] || ""; });
    }
  } catch (error) {
    // nothing saved
  }
  draftFields.forEach((f) => f.addEventListener("input", saveDraft));
  walkIn.addEventListener("submit", (event) => {
    if (navigator.onLine) {
      try { sessionStorage.removeItem(DRAFT); } catch (error) { /* nothing saved */ }
      return;
    }
    event.preventDefault();
    saveDraft();
    walkInOffline.hidden = false;
  });

  function network() {
    walkInOffline.hidden = navigator.onLine;
    banner();
  }
  window.addEventListener("online", network);
  window.addEventListener("offline", network);

  document.getElementById("checkin-sync").addEventListener("click", queue.sync);
  document.getElementById("checkin-clear").addEventListener("click", queue.clearRefused);

  async function init() {
    await refreshRoster();
    network();
  }
  init().then(() => queue.start());
  window.OfflineQueue.keepPage([], FRESH_MS);
})();
