// rescheduler upload page: a little plain JavaScript, no build step. The pages work without it
// (forms post normally); with it, an oversized file is refused before it is sent, buttons are
// not pressed twice, and a run page shows live progress by polling /runs/<id>/status.
"use strict";

(function () {
  // One press per form: the server would refuse a second Start anyway, but say so visibly.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    });
  });

  // The upload form: check the size before sending the file.
  var upload = document.getElementById("upload-form");
  if (upload) {
    upload.addEventListener("submit", function (event) {
      var input = upload.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      var limit = Number(upload.dataset.maxBytes);
      if (file && limit && file.size > limit) {
        event.preventDefault();
        var message = document.getElementById("size-message");
        message.textContent = "The file is too large (" + (file.size / 1e6).toFixed(1) +
          " MB): the limit is " + (limit / 1e6) + " MB. Split it into smaller files and upload them one by one.";
        message.hidden = false;
      }
    }, true);
  }

  // The run page: poll while the run is being checked or sent; reload when its state changes.
  var live = document.getElementById("live");
  if (!live || live.dataset.active !== "true") return;
  var url = live.dataset.statusUrl;
  var initial = live.dataset.state;

  function number(n) {
    return n === null || n === undefined ? "" : Number(n).toLocaleString("en-US");
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "…";
    seconds = Math.round(seconds);
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + String(seconds % 60).padStart(2, "0") + " s";
    return Math.floor(seconds / 3600) + " h " + String(Math.floor(seconds % 3600 / 60)).padStart(2, "0") + " min";
  }

  function set(field, text) {
    document.querySelectorAll('[data-field="' + field + '"]').forEach(function (el) {
      el.textContent = text;
    });
  }

  function show(data) {
    var counts = data.counts || {};
    set("done", number(data.done));
    set("total", number(data.total));
    ["succeeded", "failed", "invalid", "skipped", "not_sent"].forEach(function (key) {
      set(key, number(counts[key] || 0));
    });
    if (data.rate !== undefined) set("rate", data.rate);
    set("eta", duration(data.eta_s));
    var bar = document.getElementById("bar");
    if (bar && data.total) {
      bar.max = data.total;
      bar.value = data.done || 0;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data.state !== initial) { window.location.reload(); return; }
        show(data);
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 300);
})();
