// The board's one script: reload a queue page on its interval, unless the analyst is typing or the tab is hidden.
(function () {
  var seconds = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (!seconds) return;
  setInterval(function () {
    var active = document.activeElement;
    var typing = active && (active.tagName === "INPUT" || active.tagName === "SELECT" || active.tagName === "TEXTAREA");
    if (!document.hidden && !typing) window.location.reload();
  }, seconds * 1000);
})();
