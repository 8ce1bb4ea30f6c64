(function () {
  "use strict";
  var $ = function (s) { return document.querySelector(s); };
  var $$ = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var findings = $$("article.finding");
  var texts = findings.map(function (f) { return f.textContent.toLowerCase(); });
  var search = $("#search"), file = $("#file-filter"), form = $("#filter-form");
  var boxes = function (name) { return $$('input[name="' + name + '"]'); };
  var checked = function (name) {
    var s = {};
    boxes(name).forEach(function (b) { if (b.checked) s[b.value] = true; });
    return s;
  };
  // apply shows the findings that match every filter and updates counts.
  function apply() {
    var threats = checked("threat"), sevs = checked("severity");
    var f = file.value, q = search.value.trim().toLowerCase();
    var shown = 0, per = {};
    findings.forEach(function (el, i) {
      var ok = threats[el.dataset.threat] && sevs[el.dataset.severity] &&
        (!f || el.dataset.file === f) && (!q || texts[i].indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) { shown++; per[el.dataset.threat] = (per[el.dataset.threat] || 0) + 1; }
    });
    $$("section.threat").forEach(function (sec) {
      var n = per[sec.dataset.threat] || 0;
      var c = sec.querySelector(".threat-shown");
      if (c) c.textContent = n;
      var nm = sec.querySelector(".no-match");
      if (nm) nm.hidden = n > 0;
    });
    $("#shown-count").textContent = shown;
  }
  function showAll() {
    boxes("threat").concat(boxes("severity")).forEach(function (b) { b.checked = true; });
    file.value = ""; search.value = "";
    apply();
  }
  // only narrows the view to one threat and/or severity (chart clicks).
  function only(threat, sev) {
    boxes("threat").forEach(function (b) { b.checked = !threat || b.value === threat; });
    boxes("severity").forEach(function (b) { b.checked = !sev || b.value === sev; });
    apply();
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(showAll, 0); });
  $$("svg rect.seg").forEach(function (r) {
    var pick = function () {
      only(r.parentNode.dataset.threat, r.dataset.severity);
      var sec = document.getElementById("threat-" + r.parentNode.dataset.threat);
      if (sec) sec.scrollIntoView();
    };
    r.addEventListener("click", pick);
    r.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  });
  // A link to a finding the filters hide shows everything first.
  function reveal(id) {
    var el = id && document.getElementById(id);
    if (el && el.classList.contains("finding") && el.hidden) showAll();
    return el;
  }
  $$("a.xref, a.anchor").forEach(function (a) {
    a.addEventListener("click", function () { reveal(a.getAttribute("href").slice(1)); });
  });
  window.addEventListener("hashchange", function () { reveal(location.hash.slice(1)); });
  window.stripeguardReport = { apply: apply, showAll: showAll, only: only };
  apply();
})();
