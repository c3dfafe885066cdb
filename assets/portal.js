// clusterkpi portal: a file dropped anywhere on the page is checked as if chosen in the form.
(function () {
  "use strict";
  var form = document.getElementById("check");
  var input = document.getElementById("file");
  if (!form || !input) { return; }
  document.addEventListener("dragover", function (e) { e.preventDefault(); });
  document.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      form.submit();
    }
  });
})();
