// The kiosk screen: one view per payment state, fed by server-sent events
// from /screen/events. It shows only shopper texts: the payment's own
// message (the flow decides it) and the few words below, which are
// display/view.go's. The view rules match display.ViewOf.
(function () {
  "use strict";
  var TEXT = {
    idle: "Оплата по QR-коду/NFC СБП",
    toPay: "К оплате",
    toPayMixed: "Осталось оплатить по СБП",
    wait: "Пожалуйста, подождите",
    alreadyPaid: "Если вы уже оплатили, не оплачивайте ещё раз — нажмите «Повторить»",
    codeValid: "Код действует ещё",
    stickerValid: "Оплатить можно ещё",
    codeExpired: "Срок действия кода истёк. Проверяем, прошла ли оплата…",
    stickerExpired: "Время оплаты истекло. Проверяем, прошла ли оплата…",
    takeReceipt: "Заберите чек",
    order: "Заказ №",
    nextOtherWay: "Выберите другой способ оплаты",
    nextTryAgain: "Попробуйте ещё раз"
  };
  // What a not-paid screen says for each reason: what happened, what to do
  // next, and whether it is the shopper's own choice (not an error); as
  // display.NotPaid.
  var NOT_PAID = {
    insufficient_funds: ["Недостаточно средств", TEXT.nextOtherWay],
    expired: ["Время оплаты истекло", TEXT.nextTryAgain],
    declined_in_app: ["Оплата отменена в приложении банка", TEXT.nextTryAgain],
    cancelled: ["Оплата отменена", TEXT.nextOtherWay, true],
    technical: ["Произошла техническая ошибка", TEXT.nextOtherWay]
  };
  // Words a line must not end with, as display.Glue.
  var SHORT = ("в во к ко с со о об у на по за из от до не и а без для при").split(" ");
  var NBSP = "\u00a0";
  var ACTION_TIMEOUT_MS = 15000;
  // The screen's own Отменить ignores taps this long after it appears
  // (the QR, printed-QR or sticker screen comes up) and after a dialog's
  // button was answered: the second tap of a double tap on the dialog's
  // Повторить must not land on it and cancel the payment.
  var CANCEL_CALM_MS = 800;

  var $ = function (id) { return document.getElementById(id); };
  var main = $("screen"), qr = $("qr");
  var current = null; // the payment on show, null when idle
  var qrSrc = {};     // payment id -> its QR as a data: URI, from the stream
  var busy = false;   // a Повторить/Отменить request is in flight
  var link = "connecting";
  var paints = [];    // paint latencies, for the benchmark and diagnostics
  // The daemon's time (ms since the Unix epoch) of the last "event: screen"
  // and the page's clock when it came: the countdown runs on the daemon's
  // time, and shows nothing until it is known.
  var daemonAt = null, pageAt = 0;
  var calmUntil = 0;  // the page's clock until which the screen's own Отменить ignores taps
  // now is the page's monotonic clock in ms (performance.now(), which a
  // stepped kiosk clock does not move); tests replace it to move time
  // without waiting.
  window.sbpdScreen = { paints: paints, now: function () { return performance.now(); } };
  var pageNow = function () { return window.sbpdScreen.now(); };

  // roubles renders kopecks as "1 234,50 ₽" with non-breaking spaces,
  // as display.Amount does.
  function roubles(kop) {
    var neg = kop < 0;
    if (neg) kop = -kop;
    var r = Math.floor(kop / 100), k = kop % 100;
    return (neg ? "-" : "") + String(r).replace(/\B(?=(\d{3})+(?!\d))/g, NBSP) + "," + (k < 10 ? "0" : "") + k + NBSP + "₽";
  }

  // glue binds a short preposition or particle to the next word and a
  // dash to the word before it, as display.Glue.
  function glue(text) {
    var w = String(text).split(" "), out = w[0];
    for (var i = 1; i < w.length; i++) {
      out += (SHORT.indexOf(w[i - 1].toLowerCase()) >= 0 || w[i] === "—" ? NBSP : " ") + w[i];
    }
    return out;
  }

  // countdown is the time left as "M:SS", rounded up to the second, as
  // display.Countdown.
  function countdown(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
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

  // hhmm is the local time of an RFC 3339 stamp, "14:05".
  function hhmm(stamp) {
    var d = new Date(stamp);
    if (isNaN(d.getTime())) return "";
    return (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" + (d.getMinutes() < 10 ? "0" : "") + d.getMinutes();
  }

  // payScreen reports whether a view waits for the shopper to pay: the QR,
  // printed-QR and sticker screens, with the countdown and their own Отменить.
  function payScreen(view) {
    return view === "qr" || view === "receipt" || view === "sticker";
  }

  // texts are the message and the line under it for the view.
  function texts(p, view) {
    var t = { message: messageOf(p), hint: "", neutral: false };
    if (view === "dialog") t.hint = TEXT.alreadyPaid;
    if (view === "paid") t.hint = TEXT.takeReceipt;
    if (view === "not_paid") {
      var n = NOT_PAID[p.reason] || NOT_PAID.technical;
      t.message = n[0]; t.hint = n[1]; t.neutral = !!n[2];
    }
    if (view === "attention" && p.order_no) {
      // "Заказ № K07-000153-1, 14:05", as display.OrderLine, in two pieces
      // that each stay on one line: the order number and when.
      var at = hhmm(p.created_at);
      t.hint = [TEXT.order + NBSP + p.order_no + (at ? "," : "")];
      if (at) t.hint.push(at);
    }
    return t;
  }

  // tick shows the time left to the payment's expires_at on the daemon's
  // clock: its time at the last "event: screen" plus the page's monotonic
  // time since. Nothing before the daemon's time is known or without an
  // expiry (a zero time parses to before 1970). At zero the instruction
  // gives way to the expired line (data-expired) and the QR fades.
  function tick() {
    var view = viewOf(current), text = "", expired = false;
    var expires = current && current.expires_at ? Date.parse(current.expires_at) : NaN;
    if (payScreen(view) && daemonAt !== null && expires > 0) {
      var left = expires - (daemonAt + pageNow() - pageAt);
      expired = !(left > 0);
      if (!expired) text = (view === "sticker" ? TEXT.stickerValid : TEXT.codeValid) + NBSP + countdown(left);
      else text = glue(view === "sticker" ? TEXT.stickerExpired : TEXT.codeExpired);
    }
    setText($("timer"), text);
    if (expired) main.setAttribute("data-expired", ""); else main.removeAttribute("data-expired");
  }
  window.sbpdScreen.tick = tick;
  setInterval(tick, 250);

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // setPieces shows a text, or a list of pieces that each keep to one line
  // (class "nowrap") and wrap between them.
  function setPieces(el, pieces) {
    if (typeof pieces === "string") {
      setText(el, glue(pieces));
      return;
    }
    var text = pieces.map(glue).join(" ");
    if (el.textContent === text && el.children.length === pieces.length) return;
    el.textContent = "";
    pieces.forEach(function (piece, i) {
      if (i > 0) el.appendChild(document.createTextNode(" "));
      var span = document.createElement("span");
      span.className = "nowrap";
      span.textContent = glue(piece);
      el.appendChild(span);
    });
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
    var was = viewOf(current);
    current = p && p.id ? p : null;
    var view = viewOf(current);
    if (payScreen(view) && !payScreen(was)) calmUntil = pageNow() + CANCEL_CALM_MS;
    if (current) {
      var t = texts(current, view);
      setText($("label"), glue(current.mixed ? TEXT.toPayMixed : TEXT.toPay));
      setText($("amount"), roubles(current.amount));
      setText($("total"), roubles(current.amount));
      setText($("message"), glue(t.message));
      setPieces($("hint"), t.hint);
      if (t.neutral) main.setAttribute("data-neutral", ""); else main.removeAttribute("data-neutral");
    } else {
      setText($("label"), "");
      setText($("amount"), "");
      setText($("total"), "");
      setText($("message"), glue(TEXT.idle));
      setText($("hint"), "");
      main.removeAttribute("data-neutral");
    }
    main.setAttribute("data-view", view);
    main.setAttribute("data-state", current ? current.state : "idle");
    tick();
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

  // act sends the shopper's choice: Повторить in the dialog, Отменить in
  // the dialog or, when the kiosk shows its own, on the QR, printed-QR and
  // sticker screens. One request at a time: a second tap while the first is
  // on its way does nothing.
  function act(action) {
    if (busy || link !== "up" || !current) return;
    var view = viewOf(current);
    var early = action === "cancel" && main.getAttribute("data-cancel") === "on" && payScreen(view);
    if (view !== "dialog" && !early) return;
    if (early && pageNow() < calmUntil) return; // a double tap's second tap
    busy = true;
    updateButtons();
    var done = function () {
      busy = false;
      if (view === "dialog") calmUntil = pageNow() + CANCEL_CALM_MS;
      updateButtons();
    };
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, ACTION_TIMEOUT_MS);
    // The screen's own route, which acts only on the payment on show while
    // the screen offers the button (no till API token needed). The new
    // state comes over the event stream; the answer only ends the wait.
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
    // The daemon's time and the kiosk's choices, before every change.
    es.addEventListener("screen", function (e) {
      try {
        var c = JSON.parse(e.data);
        if (typeof c.now === "number" && c.now > 0) { daemonAt = c.now; pageAt = pageNow(); }
        main.setAttribute("data-cancel", c.cancel_button === false ? "off" : "on");
      } catch (err) { /* keep the last */ }
    });
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
