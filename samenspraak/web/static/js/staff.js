/* Staff pages: ask before edits that cannot be undone, and follow a running analysis. */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  var job = document.getElementById("job");
  if (!job || job.dataset.running !== "ja") { return; }
  var text = document.getElementById("job-text");
  var bar = document.getElementById("job-progress");

  function poll() {
    fetch(job.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (status.running) {
          if (status.fraction !== null) {
            bar.value = status.fraction;
            text.textContent = "Bezig: " + status.label + " (" + Math.round(status.fraction * 100) + "%)";
          }
          window.setTimeout(poll, 2000);
          return;
        }
        // Finished: reload once, so the list of runs and the themes show the result.
        window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
