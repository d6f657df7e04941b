// The kiosk screen: one view per payment state, fed by server-sent events.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var current = null;

  function roubles(kop) {
    var r = Math.floor(kop / 100), k = kop % 100;
    return r.toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0") + "," + (k < 10 ? "0" : "") + k + "\u00a0₽";
  }

  function render(p) {
    current = p;
    var main = $("screen");
    if (!p || !p.id) {
      main.dataset.state = "idle";
      $("amount").textContent = ""; $("message").textContent = "";
      $("qr").hidden = true; $("spinner").hidden = true; $("dialog").hidden = true;
      return;
    }
    main.dataset.state = p.state;
    main.dataset.mode = p.mode;
    $("amount").textContent = roubles(p.amount);
    $("message").textContent = p.message;
    var showQR = p.state === "awaiting_payment" && p.mode === 1 && p.qr_payload;
    var qr = $("qr");
    if (showQR) {
      var src = "/screen/qr/" + encodeURIComponent(p.id) + "?v=" + encodeURIComponent(p.updated_at);
      if (qr.dataset.payment !== p.id) { qr.src = src; qr.dataset.payment = p.id; }
    }
    qr.hidden = !showQR;
    $("spinner").hidden = !(p.state === "creating" || p.state === "canceling" || (p.state === "awaiting_payment" && p.mode === 0));
    $("dialog").hidden = !p.dialog;
  }

  function act(action) {
    if (!current) return;
    fetch("/api/v1/payments/" + encodeURIComponent(current.id) + "/" + action, { method: "POST" })
      .then(function (r) { return r.json(); })
      .then(function (b) { if (b && b.id) render(b); })
      .catch(function () {});
  }
  $("retry").addEventListener("click", function () { act("retry"); });
  $("cancel").addEventListener("click", function () { act("cancel"); });

  var es = new EventSource("/screen/events");
  es.addEventListener("payment", function (e) { render(JSON.parse(e.data)); });
  es.addEventListener("idle", function () { render(null); });
})();
