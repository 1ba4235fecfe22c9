// Frankly's only script of its own (no inline scripts: the page's CSP forbids them).
// One-click fixes: put the checker's replacement in the draft, then re-check. A button
// carries only wording that is safe to send (data-replacement): either it replaces the
// flagged words (data-start/data-end) or it adds a missing part at data-insert-at.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.apply");
  if (!button) return;
  var area = document.getElementById("draft-body");
  if (!area) return;
  var replacement = button.dataset.replacement;
  if (!replacement) return;
  var text = area.value;
  var start, end;
  if (button.dataset.insertAt !== undefined) {
    start = end = Math.min(Math.max(parseInt(button.dataset.insertAt, 10) || 0, 0), text.length);
  } else {
    start = parseInt(button.dataset.start, 10);
    end = parseInt(button.dataset.end, 10);
    var flagged = button.dataset.text || "";
    // The draft may have changed since the check: find the flagged words again.
    if (flagged && text.slice(start, end) !== flagged) {
      var found = text.indexOf(flagged);
      if (found < 0) return;
      start = found;
      end = found + flagged.length;
    }
  }
  area.value = text.slice(0, start) + replacement + text.slice(end);
  area.focus();
  area.dispatchEvent(new Event("input", { bubbles: true }));
});
