// clusterkpi portal: a file dropped anywhere on the page is checked as if chosen in the form, and
// the file chosen is sent with the cluster's token (`Authorization: Bearer`, which a plain form
// cannot set). Everything shown is set as text, never as markup.
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

  var send = document.getElementById("send");
  var token = document.getElementById("token");
  var button = document.getElementById("send-button");
  var out = document.getElementById("receipt");
  if (!send || !token || !button || !out) { return; }
  button.disabled = false;

  function say(kind, heading, lines) {
    out.textContent = "";
    out.className = kind;
    var h = document.createElement("h3");
    h.textContent = heading;
    out.appendChild(h);
    if (lines.length > 0) {
      var dl = document.createElement("dl");
      lines.forEach(function (l) {
        var dt = document.createElement("dt");
        dt.textContent = l[0];
        var dd = document.createElement("dd");
        dd.textContent = l[1];
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      out.appendChild(dl);
    }
    out.hidden = false;
  }

  function answered(status, body, retry) {
    if (status === 201 || status === 200) {
      say("received", status === 201 ? "Received: keep this receipt" : "Already received: the same file was sent before", [
        ["Submission", body.submission_id], ["Cluster", body.cluster_id], ["Stored as", body.file],
        ["SHA-256", body.sha256], ["Received at (UTC)", body.received_at]
      ]);
    } else if (status === 422) {
      var errors = 0;
      ((body.files && body.files[0] && body.files[0].findings) || []).forEach(function (f) {
        if (f.severity === "error") { errors += 1; }
      });
      say("refused", "Not sent: the file has " + errors + (errors === 1 ? " error" : " errors") +
        ". Check it above to see each one and how to fix it.", []);
    } else {
      var message = (body && body.error) || ("the server answered " + status);
      if (status === 429 && retry) { message += " (" + retry + " s)"; }
      say("refused", "Not sent: " + message, []);
    }
  }

  send.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!input.files || input.files.length === 0) {
      say("refused", "Choose your file above first.", []);
      return;
    }
    var data = new FormData();
    data.append("file", input.files[0], input.files[0].name);
    button.disabled = true;
    fetch("/api/submit", {
      method: "POST",
      headers: { "Authorization": "Bearer " + token.value.trim() },
      body: data,
      credentials: "omit"
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        answered(r.status, body || {}, r.headers.get("Retry-After"));
      });
    }, function () {
      say("refused", "Not sent: the server could not be reached.", []);
    }).then(function () { button.disabled = false; });
  });
})();
