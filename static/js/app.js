// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* stays an ordinary site */ });
    });
  }
  // Signing out forgets pages kept for offline use (the organizer's scanner and manual
  // check-in page, with its roster of volunteers).
  var logout = document.querySelector("form[action$='/logout']");
  if (logout && window.caches) {
    logout.addEventListener("submit", function () { caches.delete("pages-v1"); });
  }
  // Tell people at once when the phone loses its network, instead of a spinning button.
  var banner = document.getElementById("offline-banner");
  function update() { if (banner) banner.hidden = navigator.onLine; }
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
  // The organizer's menu: a button on phones, the plain row of links on wide screens.
  var menu = document.querySelector("[data-menu]");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 60rem)");
    var fit = function () { menu.open = wide.matches; menu.classList.toggle("is-wide", wide.matches); };
    if (wide.addEventListener) wide.addEventListener("change", fit);
    fit();
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
})();
