// rescheduler upload page: a little plain JavaScript, no build step. The pages work without it
// (forms post normally); with it, an oversized file is refused before it is sent, buttons are
// not pressed twice, a run page shows live progress by polling /runs/<id>/status (the check's
// rows read and checked, then the rows sent), and a changed choice for conflicting rows says
// that the file will be checked again. Every word comes from the page (data-* attributes,
// already translated): this file has none of its own.
"use strict";

(function () {
  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] === undefined ? all : values[name];
    });
  }

  function number(n) {
    return n === null || n === undefined ? "" : Number(n).toLocaleString("en-US");
  }

  // One press per form: the server would refuse a second Start anyway, but say so visibly.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      var pressed = event.submitter;
      if (pressed && pressed.name) {  // a disabled button's value is not sent: keep it
        var kept = document.createElement("input");
        kept.type = "hidden";
        kept.name = pressed.name;
        kept.value = pressed.value;
        form.appendChild(kept);
      }
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
        message.textContent = fill(message.dataset.text, {
          size: (file.size / 1e6).toFixed(1), limit: String(limit / 1e6)
        });
        message.hidden = false;
      }
    }, true);
  }

  // Another choice for conflicting rows: Start checks the file again first; say so.
  var choice = document.getElementById("on-conflict");
  var startButton = document.getElementById("start-button");
  if (choice && startButton) {
    var startText = startButton.textContent;
    choice.addEventListener("change", function () {
      var picked = choice.querySelector("input:checked");
      var again = picked && picked.value !== choice.dataset.checked;
      startButton.textContent = again ? choice.dataset.again : startText;
    });
  }

  // The run page: poll while the file is checked or the run is sent; reload when it changes.
  var live = document.getElementById("live");
  if (!live || live.dataset.active !== "true") return;
  var url = live.dataset.statusUrl;
  var initial = live.dataset.state;

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "…";
    seconds = Math.round(seconds);
    var two = function (n) { return String(n).padStart(2, "0"); };
    if (seconds < 60) return fill(live.dataset.s, { s: seconds });
    if (seconds < 3600) return fill(live.dataset.min, { m: Math.floor(seconds / 60), s: two(seconds % 60) });
    return fill(live.dataset.h, { h: Math.floor(seconds / 3600), m: two(Math.floor(seconds % 3600 / 60)) });
  }

  function set(field, text) {
    document.querySelectorAll('[data-field="' + field + '"]').forEach(function (el) {
      el.textContent = text;
    });
  }

  function showCheck(check) {
    var text = document.getElementById("check-progress");
    var bar = document.getElementById("check-bar");
    if (!text || !check) return;
    if (check.total !== null && check.total !== undefined) {
      text.textContent = fill(live.dataset.checking, { done: number(check.done), total: number(check.total) });
      if (bar) { bar.max = check.total || 1; bar.value = check.done || 0; }
    } else if (check.read) {
      text.textContent = fill(live.dataset.reading, { read: number(check.read) });
    }
  }

  function show(data) {
    var job = data.job || {};
    ["rescheduled", "failed", "invalid", "not_sent", "duplicates", "held", "total"].forEach(function (key) {
      if (job[key] !== undefined) set(key, number(job[key]));
    });
    if (data.rate !== undefined) set("rate", data.rate);
    set("eta", duration(data.eta_s));
    var bar = document.getElementById("bar");
    if (bar && job.total) {
      bar.max = job.total;
      bar.value = job.handled || 0;
    }
    showCheck(data.check);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data.state !== initial) { window.location.replace(window.location.pathname); return; }
        show(data);
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 300);
})();
