// Progressive enhancement: a Print button on printable pages (the browser menu works too).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
