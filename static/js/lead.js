// A team leader's activity page: "tick all not yet checked in" ticks every member without
// a record here, for a team arriving together. No inline script (CSP); without script the
// boxes are ticked one by one.
(() => {
  "use strict";
  for (const form of document.querySelectorAll("[data-lead-form]")) {
    const button = form.querySelector("[data-tick-all]");
    if (!button) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      for (const box of form.querySelectorAll('input[name="volunteer_ids"][data-state=""]')) {
        box.checked = true;
      }
    });
  }
})();
