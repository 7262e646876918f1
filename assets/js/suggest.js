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
  var labels = { product: "", part_number: "Part number", brand: "Brand", category: "Category" };

  function render(items) {
    list.textContent = "";
    items.slice(0, 10).forEach(function (s) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      var a = document.createElement("a");
      a.href = s.url;
      a.textContent = s.text;
      if (labels[s.kind]) {
        var tag = document.createElement("span");
        tag.className = "suggest-kind";
        tag.textContent = labels[s.kind];
        a.appendChild(tag);
      }
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
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
        .then(function (body) { if (input.value.trim() === q) render(body.suggestions || []); })
        .catch(function () { render([]); });
    }, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") render([]);
    if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); var first = list.querySelector("a"); if (first) first.focus(); }
  });
  list.addEventListener("keydown", function (e) {
    var current = document.activeElement && document.activeElement.parentElement;
    if (e.key === "ArrowDown" && current && current.nextElementSibling) { e.preventDefault(); current.nextElementSibling.firstChild.focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); if (current && current.previousElementSibling) current.previousElementSibling.firstChild.focus(); else input.focus(); }
    if (e.key === "Escape") { render([]); input.focus(); }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) render([]); });
})();
