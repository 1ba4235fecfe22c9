// Frankly's only script of its own (no inline scripts: the page's CSP forbids them).
// One-click suggestions: replace the flagged words in the draft, then re-check.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.apply");
  if (!button) return;
  var area = document.getElementById("draft-body");
  if (!area) return;
  var start = parseInt(button.dataset.start, 10);
  var end = parseInt(button.dataset.end, 10);
  var flagged = button.dataset.text || "";
  var text = area.value;
  // The draft may have changed since the check: find the flagged words again near the offsets.
  if (flagged && text.slice(start, end) !== flagged) {
    var found = text.indexOf(flagged);
    if (found < 0) return;
    start = found;
    end = found + flagged.length;
  }
  area.value = text.slice(0, start) + button.dataset.suggestion + text.slice(end);
  area.focus();
  area.dispatchEvent(new Event("input", { bubbles: true }));
});
