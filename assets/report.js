// clusterkpi report: clicking (or pressing Enter on) a highlighted cell shows its findings in a
// panel; Escape closes it. Without script, each cell's findings are in its tooltip and the list.
(function () {
  "use strict";
  var panel = document.getElementById("detail");
  if (!panel) { return; }
  var body = panel.querySelector(".body");
  var chosen = null;
  function show(cell) {
    var ids = (cell.getAttribute("data-findings") || "").split(" ");
    body.textContent = "";
    ids.forEach(function (id) {
      var item = document.getElementById(id);
      if (item) { body.appendChild(item.cloneNode(true)).removeAttribute("id"); }
    });
    if (chosen) { chosen.classList.remove("chosen"); }
    chosen = cell;
    cell.classList.add("chosen");
    panel.hidden = false;
  }
  function hide() {
    panel.hidden = true;
    if (chosen) { chosen.classList.remove("chosen"); chosen.focus(); chosen = null; }
  }
  document.addEventListener("click", function (e) {
    var cell = e.target.closest("td[data-findings]");
    if (cell) { show(cell); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { hide(); return; }
    var cell = e.target.closest && e.target.closest("td[data-findings]");
    if (cell && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); show(cell); }
  });
  panel.querySelector("button").addEventListener("click", hide);
})();
