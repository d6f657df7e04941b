// The kiosk screen: one view per payment state, fed by server-sent events
// from /screen/events. It shows only shopper texts: the payment's own
// message (the flow decides it) and the few words below. The view rules
// match display.ViewOf.
(function () {
  "use strict";
  var TEXT = {
    idle: "Оплата по QR-коду/NFC СБП",
    toPay: "К оплате",
    toPayMixed: "К оплате по СБП",
    wait: "Пожалуйста, подождите"
  };
  var ACTION_TIMEOUT_MS = 15000;

  var $ = function (id) { return document.getElementById(id); };
  var main = $("screen"), qr = $("qr");
  var current = null; // the payment on show, null when idle
  var qrSrc = {};     // payment id -> its QR as a data: URI, from the stream
  var busy = false;   // a Повторить/Отменить request is in flight
  var link = "connecting";
  var paints = [];    // paint latencies, for the benchmark and diagnostics
  window.sbpdScreen = { paints: paints };

  // roubles renders kopecks as "1 234,50 ₽" with non-breaking spaces,
  // as display.Amount does.
  function roubles(kop) {
    var neg = kop < 0;
    if (neg) kop = -kop;
    var r = Math.floor(kop / 100), k = kop % 100;
    return (neg ? "-" : "") + String(r).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0") + "," + (k < 10 ? "0" : "") + k + "\u00a0₽";
  }

  function viewOf(p) {
    if (!p || !p.id) return "idle";
    switch (p.state) {
      case "awaiting_payment":
        if (p.mode === 0) return "receipt";
        if (p.mode === 2) return "sticker";
        if (p.qr_payload) return "qr";
        return "wait";
      case "status_unknown": return "dialog";
      case "canceling": return "canceling";
      case "paid": return "paid";
      case "not_paid": return "not_paid";
      case "needs_attention": return "attention";
    }
    return "wait";
  }

  function messageOf(p) {
    if (p.dialog && p.dialog.text) return p.dialog.text;
    return p.message || TEXT.wait;
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function updateButtons() {
    var off = busy || link !== "up";
    $("retry").disabled = off;
    $("cancel").disabled = off;
  }

  function setLink(state) {
    if (link === state) return;
    link = state;
    main.setAttribute("data-link", state);
    updateButtons();
  }

  function render(p, stamp, initial) {
    current = p && p.id ? p : null;
    var view = viewOf(current);
    if (current) {
      setText($("label"), current.mixed ? TEXT.toPayMixed : TEXT.toPay);
      setText($("amount"), roubles(current.amount));
      setText($("message"), messageOf(current));
    } else {
      setText($("label"), "");
      setText($("amount"), "");
      setText($("message"), TEXT.idle);
    }
    main.setAttribute("data-view", view);
    main.setAttribute("data-state", current ? current.state : "idle");
    updateButtons();
    var pending = view === "qr" && showQR(current);
    if (view === "qr" && !pending) snapQR(); // the screen may have changed size meanwhile
    var mark = { view: view, stamp: Number(stamp) || 0, initial: !!initial };
    if (pending) {
      qr.onpainted = function () { painted(mark); };
    } else {
      qr.onpainted = null;
      painted(mark);
    }
  }

  // showQR loads the QR of p if it is not on show yet; it reports whether
  // the image is still on its way.
  function showQR(p) {
    if (qr.getAttribute("data-for") === p.id) return !qr.hasAttribute("data-ready");
    qr.setAttribute("data-for", p.id);
    qr.removeAttribute("data-ready");
    qr.src = qrSrc[p.id] || "/screen/qr/" + encodeURIComponent(p.id) + "?ppm=1";
    return true;
  }

  // snapQR scales the 1-pixel-a-module image by the largest whole factor
  // that fits its box, in device pixels, so every module has sharp edges.
  function snapQR() {
    var n = qr.naturalWidth, box = $("visual");
    if (!n || !box.clientWidth) return;
    var dpr = window.devicePixelRatio || 1;
    var scale = Math.max(1, Math.floor(Math.min(box.clientWidth, box.clientHeight) * dpr / n));
    qr.style.width = qr.style.height = (n * scale / dpr) + "px";
  }

  qr.addEventListener("load", function () {
    snapQR();
    qr.setAttribute("data-ready", "");
    if (qr.onpainted) { var f = qr.onpainted; qr.onpainted = null; f(); }
  });
  qr.addEventListener("error", function () {
    // e.g. the daemon restarting: ask again while this payment is on show.
    var id = qr.getAttribute("data-for");
    setTimeout(function () {
      if (current && current.id === id && viewOf(current) === "qr" && !qr.hasAttribute("data-ready")) {
        qr.src = "/screen/qr/" + encodeURIComponent(id) + "?ppm=1&again=" + Date.now();
      }
    }, 1000);
  });
  window.addEventListener("resize", function () { if (viewOf(current) === "qr") snapQR(); });

  // painted notes when the new view reached the screen: requestAnimationFrame
  // runs just before the frame is painted, a message posted from it is
  // handled right after.
  function painted(mark) {
    if (!mark.stamp || !window.requestAnimationFrame || !window.performance || !performance.timeOrigin) return;
    requestAnimationFrame(function () {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () {
        mark.latencyMs = performance.timeOrigin + performance.now() - mark.stamp / 1000;
        paints.push(mark);
        if (paints.length > 500) paints.shift();
      };
      ch.port2.postMessage(0);
    });
  }

  function act(action) {
    if (busy || link !== "up" || !current || viewOf(current) !== "dialog") return;
    busy = true;
    updateButtons();
    var done = function () { busy = false; updateButtons(); };
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, ACTION_TIMEOUT_MS);
    // The screen's own route, which acts only on the payment on show while
    // its dialog is (no till API token needed). The new state comes over
    // the event stream; the answer only ends the wait.
    fetch("/screen/payments/" + encodeURIComponent(current.id) + "/" + action,
      { method: "POST", signal: ctl ? ctl.signal : undefined })
      .then(function (r) { return r.text(); })
      .catch(function () {})
      .then(function () { clearTimeout(timer); done(); });
  }
  $("retry").addEventListener("click", function () { act("retry"); });
  $("cancel").addEventListener("click", function () { act("cancel"); });
  document.addEventListener("contextmenu", function (e) { e.preventDefault(); });

  // The stream: EventSource reconnects by itself after the daemon restarts
  // (the server asks for a retry within half a second); should the browser
  // give up on it (an answer that is not an event stream), start afresh.
  var reopen = null;
  function connect() {
    var es = new EventSource("/screen/events"), first = true;
    var take = function (p, e) {
      setLink("up");
      render(p, e.lastEventId, first);
      first = false;
    };
    es.addEventListener("open", function () { first = true; setLink("up"); });
    es.addEventListener("error", function () {
      setLink("down");
      if (es.readyState === 2 /* CLOSED */) {
        es.close();
        clearTimeout(reopen);
        reopen = setTimeout(connect, 2000);
      }
    });
    es.addEventListener("payment", function (e) {
      var p;
      try { p = JSON.parse(e.data); } catch (err) { return; }
      take(p, e);
    });
    es.addEventListener("idle", function (e) { take(null, e); });
    // The QR comes down the stream just before the change that shows it.
    es.addEventListener("qr", function (e) {
      try {
        var q = JSON.parse(e.data);
        qrSrc = {};
        qrSrc[q.id] = q.src;
      } catch (err) { /* the image route is the fallback */ }
    });
  }
  render(null, 0, true);
  connect();
})();
