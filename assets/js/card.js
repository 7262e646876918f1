// Card payments with Stripe.js. At checkout the card is typed into Stripe's element, so card
// data never reaches this shop: Stripe.js turns it into a PaymentMethod and the form carries only
// its id. On the order page, a bank's request to confirm (3-D Secure) is finished here, and the
// shop is asked to look at the payment again. Without JavaScript the other methods still work.
(function () {
  "use strict";
  if (typeof window.Stripe !== "function" || !window.Promise) return;
  var form = document.querySelector("form.checkout[data-stripe-key]");
  if (form) collect(form);
  var box = document.querySelector(".card-confirm[data-stripe-key]");
  if (box) confirmPayment(box);

  function text(e, fallback) {
    if (typeof e === "string") return e;
    return (e && e.message) || fallback;
  }

  function collect(form) {
    var slot = document.getElementById("card-element");
    var pm = form.querySelector("input[name=payment_method]");
    if (!slot || !pm) return;
    var stripe = window.Stripe(form.getAttribute("data-stripe-key"));
    var card = stripe.elements().create("card");
    card.mount(slot);
    var errors = document.getElementById("card-errors");
    var sending = false;
    form.addEventListener("submit", function (event) {
      var chosen = form.querySelector("input[name=payment]:checked");
      var placing = event.submitter && event.submitter.value === "place";
      if (!chosen || chosen.value !== "stripe" || !placing || pm.value) return;
      event.preventDefault();
      if (sending) return;
      sending = true;
      errors.textContent = "";
      paymentMethod(stripe, card).then(function (id) {
        pm.value = id;
        var action = document.createElement("input");
        action.type = "hidden";
        action.name = "action";
        action.value = "place";
        form.appendChild(action);
        form.submit();
      }, function (e) {
        sending = false;
        errors.textContent = text(e, "The card was not accepted. Check its details.");
      });
    });
  }

  // Stripe.js makes a PaymentMethod. A stand-in without createPaymentMethod (localstripe's, in
  // the tests) makes a card token instead, whose card id Stripe also takes as a payment method.
  function paymentMethod(stripe, card) {
    return Promise.resolve(stripe.createPaymentMethod({ type: "card", card: card })).then(function (r) {
      if (r && r.paymentMethod) return r.paymentMethod.id;
      if (r && r.error) throw r.error;
      return stripe.createToken(card).then(function (t) {
        if (t && t.token && t.token.card) return t.token.card.id;
        throw (t && t.error) || "The card was not accepted.";
      });
    });
  }

  function confirmPayment(box) {
    var stripe = window.Stripe(box.getAttribute("data-stripe-key"));
    var message = box.querySelector(".field-error");
    var button = box.querySelector("[data-confirm-card]");
    var found = window.location.hash.match(/confirm=([^&]+)/);
    var secret = found ? decodeURIComponent(found[1]) : null;
    function run() {
      if (!secret) {
        message.textContent = "This page no longer holds your bank's request. Unless the payment is confirmed within an hour, the order is cancelled and nothing is charged.";
        return;
      }
      stripe.confirmCardPayment(secret).then(function (r) {
        if (r && r.error) {
          message.textContent = text(r.error, "Your bank did not confirm the payment.");
          return;
        }
        window.history.replaceState(null, "", window.location.pathname + window.location.search);
        secret = null;
        window.fetch(box.getAttribute("data-check"), { method: "POST" }).then(function () {
          window.setTimeout(function () { window.location.reload(); }, 1500);
        });
      }, function (e) {
        message.textContent = text(e, "Your bank did not confirm the payment.");
      });
    }
    if (button) button.addEventListener("click", run);
    if (secret) run();
  }
})();
