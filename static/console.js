// Katonic console: the only first-party script (the CSP allows scripts from this origin only).
//
// 1. Live progress exactly once. When htmx's SSE extension rebuilds an EventSource after a full
//    disconnect it sends no Last-Event-ID, only the URL in `sse-connect`. So the URL follows the
//    last event shown (`?after=N`), and an event at or below it is never shown twice.
// 2. Running clocks: <time class="elapsed" data-since="RFC 3339"> counts up once a second.
(function () {
  "use strict";

  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var live = evt.target.closest("[sse-connect]");
    var seq = Number(evt.detail && evt.detail.lastEventId);
    if (!live || !seq) return;
    var last = Number(live.dataset.lastSeq || 0);
    if (seq <= last) {
      evt.preventDefault();
      return;
    }
    live.dataset.lastSeq = String(seq);
    live.setAttribute("sse-connect", live.dataset.stream + "?after=" + seq);
  });

  function format(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return "running " + (h ? h + "h " + pad(m) + "m" : m ? m + "m " + pad(r) + "s" : r + "s");
  }

  setInterval(function () {
    var now = Date.now();
    document.querySelectorAll("time.elapsed[data-since]").forEach(function (t) {
      var since = Date.parse(t.dataset.since);
      if (!isNaN(since)) t.textContent = format(now - since);
    });
  }, 1000);
})();

// 3. The live page equals the reloaded page. When the run ends (its `done` event closes the
//    stream, also when the run ended while the page loaded or the stream reconnected), the page's
//    main part is fetched again and swapped in whole: header, actions, steps, timeline, DNS and
//    verification then show the server's end state, as a reload would.
(function () {
  "use strict";

  document.addEventListener("htmx:sseClose", function (evt) {
    if (!evt.detail || evt.detail.type !== "message") return;
    htmx.ajax("GET", window.location.pathname, { target: "main", select: "main", swap: "outerHTML" });
  });
})();

// 4. Forms that delete ask first: <form data-confirm="question"> submits only when confirmed.
(function () {
  "use strict";
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form && form.dataset ? form.dataset.confirm : null;
    if (question && !window.confirm(question)) evt.preventDefault();
  });
})();

// 5. Wizard fields that apply only in some modes: <div data-shown-when="field" data-shown-value="v">
//    shows while the field named `field` has value `v`, or (data-shown-or-when/-value) while a
//    second field has its value (the server renders the same on load).
(function () {
  "use strict";
  function has(form, name, value) {
    var input = name ? form.querySelector('[name="' + name + '"]') : null;
    return input ? input.value === value : null;
  }
  function apply(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (el) {
      var first = has(form, el.dataset.shownWhen, el.dataset.shownValue);
      var second = has(form, el.dataset.shownOrWhen, el.dataset.shownOrValue);
      if (first !== null) el.hidden = !(first || second === true);
    });
  }
  document.addEventListener("change", function (evt) {
    var form = evt.target.closest && evt.target.closest("form");
    if (form) apply(form);
  });
})();
