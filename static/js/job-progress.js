// The progress page of a background job: asks the job's JSON for news and updates the bar,
// the figures, the download link (an export) or the counts (an import) and the error, until
// the job has reached an end.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "true") return;
  var url = box.dataset.stateUrl;
  var every = parseInt(box.dataset.pollMs, 10) || 1500;
  function text(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = value || "";
  }
  function show(state) {
    var bar = document.getElementById("job-bar");
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    text("job-status", state.status_label);
    text("job-rows", state.rows_text);
    text("job-percent", state.percent + "%");
    text("job-left", state.time_left_text);
    var error = document.getElementById("job-error");
    error.hidden = !state.error;
    error.textContent = state.error || "";
    var download = document.getElementById("job-download");
    if (state.download_url) {
      document.getElementById("job-download-link").href = state.download_url;
      download.hidden = false;
    }
    (state.summary || []).forEach(function (line) {
      text("job-summary-" + line.key, String(line.n));
    });
    var stopped = document.getElementById("job-stopped");
    if (stopped) {
      stopped.hidden = !state.stopped_text;
      stopped.textContent = state.stopped_text || "";
    }
    if (state.finished) {
      var more = document.getElementById("job-import-more");
      if (more) more.hidden = false;
      var cancel = document.getElementById("job-cancel");
      if (cancel) cancel.hidden = true;
      box.dataset.finished = "true";
    }
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (!state.finished) window.setTimeout(poll, every);
      })
      .catch(function () {
        window.setTimeout(poll, every * 2);
      });
  }
  window.setTimeout(poll, every);
})();
