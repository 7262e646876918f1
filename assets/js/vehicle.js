// Year -> Make -> Model in the header, without leaving the page, then Submodel and Engine when
// some part fits only some of them (the results depend on the answer; both stay optional). Progressive enhancement: without
// this script the year goes to /garage, which asks for the make and then the model, one step per
// page. Only vehicles some product fits are offered (the /api/v1/vehicles cascade).
(function () {
  "use strict";
  var form = document.querySelector("form.vehicle-pick");
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var year = form.querySelector("select[name=year]");
  var button = form.querySelector("button");
  if (!year || !button) return;

  function select(name, label) {
    var s = document.createElement("select");
    s.name = name;
    s.required = true;
    s.disabled = true;
    s.setAttribute("aria-label", label);
    reset(s, label);
    form.insertBefore(s, button);
    return s;
  }

  function reset(s, label) {
    s.textContent = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = label;
    s.appendChild(first);
    s.disabled = true;
  }

  function fill(s, values) {
    values.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v;
      s.appendChild(o);
    });
    s.disabled = values.length === 0;
  }

  // An optional step: shown only when the cascade offers values for it.
  function optional(name, label) {
    var s = select(name, label);
    s.required = false;
    s.hidden = true;
    return s;
  }

  function offer(s, label, values) {
    reset(s, label);
    fill(s, values);
    s.hidden = values.length === 0;
  }

  function values(level, params) {
    return fetch("/api/v1/vehicles/" + level + "?" + new URLSearchParams(params).toString(), {
      headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : { values: [] }; })
      .then(function (body) { return body.values || []; })
      .catch(function () { return []; });
  }

  function load(level, params, s) {
    return fetch("/api/v1/vehicles/" + level + "?" + new URLSearchParams(params).toString(), {
      headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : { values: [] }; })
      .then(function (body) { fill(s, body.values || []); })
      .catch(function () { /* the button still leads to the step-by-step page */ });
  }

  var make = select("make", "Make");
  var model = select("model", "Model");
  var submodel = optional("submodel", "Any submodel");
  var engine = optional("engine", "Any engine");

  function hideOptional() {
    offer(submodel, "Any submodel", []);
    offer(engine, "Any engine", []);
  }

  function chosen() {
    var params = { year: year.value, make: make.value, model: model.value };
    if (submodel.value) params.submodel = submodel.value;
    return params;
  }

  // Until a model is chosen the button keeps its no-script meaning: the next step on /garage.
  function update() {
    var done = model.value !== "";
    form.method = done ? "post" : "get";
    button.textContent = done ? "Save vehicle" : (make.value ? "Next: model" : "Next: make");
  }

  year.addEventListener("change", function () {
    reset(make, "Make");
    reset(model, "Model");
    hideOptional();
    update();
    if (year.value) load("makes", { year: year.value }, make);
  });
  make.addEventListener("change", function () {
    reset(model, "Model");
    hideOptional();
    update();
    if (make.value) load("models", { year: year.value, make: make.value }, model);
  });
  model.addEventListener("change", function () {
    hideOptional();
    update();
    if (!model.value) return;
    values("submodels", chosen()).then(function (v) { offer(submodel, "Any submodel", v); });
    values("engines", chosen()).then(function (v) { offer(engine, "Any engine", v); });
  });
  submodel.addEventListener("change", function () {
    values("engines", chosen()).then(function (v) { offer(engine, "Any engine", v); });
  });
  // An unanswered optional step is left out, not sent empty.
  form.addEventListener("submit", function () {
    [submodel, engine].forEach(function (s) { if (!s.value) s.disabled = true; });
  });
  window.addEventListener("pageshow", function () {
    [submodel, engine].forEach(function (s) { s.disabled = s.hidden || s.options.length < 2; });
  });
  update();
})();
