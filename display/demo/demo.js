(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var payment = null, stream = null, checkNo = Math.floor(Date.now() / 1000) % 100000;
  function nextCheck() { checkNo++; $("check").value = String(checkNo).padStart(6, "0"); }
  nextCheck();
  function say(text, bad) { $("msg").textContent = text || ""; $("msg").className = bad ? "err" : ""; }
  function show(p) {
    payment = p;
    $("state").textContent = p.state + " (" + p.state_code + ")";
    $("json").textContent = JSON.stringify(p, null, 2);
  }
  // Follow whatever payment the kiosk shows, however it was started.
  stream = new EventSource("/screen/events");
  stream.addEventListener("payment", function (e) { show(JSON.parse(e.data)); });
  function kopecks(text) {
    var m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + (m[2] ? parseInt((m[2] + "0").slice(0, 2), 10) : 0);
  }
  $("start").onclick = function () {
    var amount = kopecks($("amount").value);
    if (amount === null) { say("Amount must look like 259,90", true); return; }
    fetch("/api/v1/payments", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ check_id: $("check").value, amount: amount, mixed: $("mixed").checked }) })
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (res) {
        if (res[1].error) { say(res[0] + " " + res[1].error.code + ": " + res[1].error.message, true); return; }
        say("HTTP " + res[0]); show(res[1]); if (res[0] === 201) nextCheck();
      });
  };
  Array.prototype.forEach.call(document.querySelectorAll("[data-bank]"), function (b) {
    b.onclick = function () {
      if (!payment || !payment.paymaster_id) { say("No PayMaster payment yet: start one first.", true); return; }
      var body = b.dataset.code ? JSON.stringify({ result_code: b.dataset.code }) : "";
      fetch("/sandbox/payments/" + encodeURIComponent(payment.paymaster_id) + "/" + b.dataset.bank, { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
        .then(function (r) { return r.json().then(function (j) { say(r.ok ? "Bank: " + b.textContent + " — sbpd sees it at its next poll (≤ 3 s)." : JSON.stringify(j), !r.ok); }); });
    };
  });
  function printerPoll() {
    fetch("/demo/printer").then(function (r) { return r.json(); }).then(function (s) {
      if (s.status === "not_configured") return;
      $("printer").hidden = false;
      $("printerInfo").textContent = s.slips + " slip(s) printed, " + s.bytes + " bytes written to " + s.file;
      var img = $("slipQR");
      if (payment && payment.mode === 0 && payment.qr_payload && payment.state === "awaiting_payment") {
        img.src = "/screen/qr/" + encodeURIComponent(payment.id); img.style.display = "block";
        img.title = "the QR printed on the slip";
      } else { img.style.display = "none"; }
      setTimeout(printerPoll, 1000);
    }).catch(function () { setTimeout(printerPoll, 3000); });
  }
  printerPoll();
  $("cut").onclick = function () {
    fetch("/sandbox/faults", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ drop: true }) })
      .then(function (r) { say(r.ok ? "PayMaster now drops every connection." : "could not cut", !r.ok); });
  };
  $("heal").onclick = function () {
    fetch("/sandbox/faults", { method: "DELETE" }).then(function () { say("Connection restored."); });
  };
})();
