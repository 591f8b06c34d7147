// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* stays an ordinary site */ });
    });
  }
  // Tell people at once when the phone loses its network, instead of a spinning button.
  var banner = document.getElementById("offline-banner");
  function update() { if (banner) banner.hidden = navigator.onLine; }
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
})();
