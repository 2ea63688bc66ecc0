// Disable a form's submit button after its first submission (the server is the guarantee).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "yes";
  form.querySelectorAll("button[data-once]").forEach(function (button) {
    window.setTimeout(function () { button.disabled = true; }, 0);
  });
});

// A button the server would refuse until a given moment (a new login code) waits until then.
var loadedAt = Date.now();
function holdWaitingButtons() {
  document.querySelectorAll("button[data-wait-seconds]").forEach(function (button) {
    var left = loadedAt + parseInt(button.dataset.waitSeconds, 10) * 1000 - Date.now();
    if (left > 0) {
      button.disabled = true;
      window.setTimeout(function () { button.disabled = false; }, left);
    }
  });
}

// Let the browser's back/forward cache bring back a page with its buttons usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form").forEach(function (form) { delete form.dataset.submitted; });
  document.querySelectorAll("button[data-once]").forEach(function (button) { button.disabled = false; });
  holdWaitingButtons();
});

document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// A secret shown once gets a copy button where the clipboard can be written (without it, the text is
// selected with one tap or click, and copied as usual).
document.querySelectorAll("button[data-copy]").forEach(function (copy) {
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  copy.hidden = false;
  copy.addEventListener("click", function () {
    var source = document.getElementById(copy.dataset.copy);
    var status = copy.parentElement.querySelector(".copy-status");
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (status) { status.textContent = copy.dataset.copied; }
    }, function () {
      window.getSelection().selectAllChildren(source);
    });
  });
});
