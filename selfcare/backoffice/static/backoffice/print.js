// Print the unprinted letters: read the streamed progress lines, offer the PDF as a download, then ask
// the operator to confirm the pages came out (only that records the letters as printed).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("print-form");
  if (!form) { return; }
  var bar = document.getElementById("print-progress");
  var status = document.getElementById("print-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    form.querySelector("input[type=submit]").disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" }).then(function (response) {
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function handle(line) {
        var space = line.indexOf(" ");
        var kind = line.slice(0, space);
        var rest = line.slice(space + 1);
        if (kind === "progress") {
          var parts = rest.split(" ");
          bar.max = Number(parts[1]) || 1;
          bar.value = Number(parts[0]);
          status.textContent = parts[0] + " / " + parts[1];
        } else if (kind === "done") {
          // What is left to print now, not what was waiting when the page was opened.
          document.getElementById("print-count").textContent = rest;
          form.hidden = true;
        } else if (kind === "ids") {
          // The letters of this PDF, for the confirmation once the pages are out of the printer.
          var confirm = document.getElementById("print-confirm");
          rest.split(",").forEach(function (id) {
            var input = document.createElement("input");
            input.type = "hidden";
            input.name = "letter";
            input.value = id;
            confirm.appendChild(input);
          });
          confirm.hidden = false;
        } else if (kind === "pdf") {
          var bytes = Uint8Array.from(atob(rest), function (c) { return c.charCodeAt(0); });
          var link = document.getElementById("print-download");
          link.href = URL.createObjectURL(new Blob([bytes], { type: "application/pdf" }));
          document.getElementById("print-result").hidden = false;
          link.click();
        } else if (kind === "error") {
          status.textContent = rest;
        }
      }
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { if (buffer) { handle(buffer); } return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split("\n");
          buffer = lines.pop();
          lines.forEach(handle);
          return pump();
        });
      }
      return pump();
    });
  });
});
