// ucsd console: live regions. Every element with `data-live` and an id is refreshed from the same
// page every few seconds (the server renders the page; this only swaps the regions in). Without
// JavaScript the pages work as they are: reload to see progress.
(function () {
  "use strict";
  var INTERVAL_MS = 2000;
  function refresh() {
    var regions = document.querySelectorAll("[data-live][id]");
    if (regions.length === 0 || document.hidden) return;
    // Do not swap a region the user is working in (keyboard focus inside it).
    var active = document.activeElement;
    fetch(window.location.href, { headers: { "X-Console-Live": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (el) {
          if (active && el.contains(active) && active !== document.body) return;
          var fresh = doc.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
        });
      })
      .catch(function () {});
  }
  window.addEventListener("load", function () { setInterval(refresh, INTERVAL_MS); });
  // Buttons marked danger ask first.
  document.addEventListener("submit", function (e) {
    var danger = e.target.querySelector("button.danger");
    if (danger && !window.confirm(danger.textContent + "?")) e.preventDefault();
  });
})();
