// Search-as-you-type for the header search box. Progressive enhancement: without this script the
// box is a plain GET form to /search.
(function () {
  "use strict";
  var input = document.getElementById("site-q");
  if (!input || !window.fetch) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.className = "suggest";
  list.id = "site-q-suggest";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-autocomplete", "list");
  var timer = null, last = "";
  // Shown in groups, each under its heading; the products come first, narrowed to the
  // shopper's saved vehicle when the server says so.
  var groups = [
    ["product", "Products"], ["part_number", "Part numbers"],
    ["category", "Categories"], ["brand", "Brands"]
  ];

  function heading(text) {
    var li = document.createElement("li");
    li.className = "suggest-group";
    li.setAttribute("role", "presentation");
    li.textContent = text;
    return li;
  }

  function option(s) {
    var li = document.createElement("li");
    li.setAttribute("role", "option");
    var a = document.createElement("a");
    a.href = s.url;
    a.textContent = s.text;
    li.appendChild(a);
    return li;
  }

  function render(items, vehicle) {
    list.textContent = "";
    var shown = 0;
    groups.forEach(function (group) {
      var mine = items.filter(function (s) { return s.kind === group[0]; }).slice(0, 6);
      if (mine.length === 0 || shown >= 14) return;
      var title = group[0] === "product" && vehicle ? "Fits your " + vehicle : group[1];
      list.appendChild(heading(title));
      mine.forEach(function (s) { list.appendChild(option(s)); shown++; });
    });
    list.hidden = shown === 0;
  }

  // The next (or previous) suggestion's link, past the group headings.
  function step(li, forward) {
    var next = li;
    do { next = forward ? next.nextElementSibling : next.previousElementSibling; }
    while (next && !next.querySelector("a"));
    return next && next.querySelector("a");
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 2) { render([]); return; }
      fetch("/api/v1/suggest?q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) { if (input.value.trim() === q) render(body.suggestions || [], body.vehicle); })
        .catch(function () { render([]); });
    }, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") render([]);
    if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); var first = list.querySelector("a"); if (first) first.focus(); }
  });
  list.addEventListener("keydown", function (e) {
    var current = document.activeElement && document.activeElement.parentElement;
    var next;
    if (e.key === "ArrowDown" && current && (next = step(current, true))) { e.preventDefault(); next.focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); next = current && step(current, false); if (next) next.focus(); else input.focus(); }
    if (e.key === "Escape") { render([]); input.focus(); }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) render([]); });
})();
