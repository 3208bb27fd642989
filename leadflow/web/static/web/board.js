/* The deal board: drag a card to another column and the server moves the deal.
 *
 * Every move is checked by the server (deal_move view -> deal_move_stage
 * service). When it refuses (another pipeline, a closed deal, a deal this
 * user may not change, a stale version), the card goes back where it was
 * and the server's reason is shown.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function flash(text, kind) {
    var box = document.getElementById("flash");
    if (!box || !text) return;
    var line = document.createElement("p");
    line.className = "message message--" + kind;
    line.setAttribute("role", kind === "error" ? "alert" : "status");
    line.textContent = text;
    box.replaceChildren(line);
  }

  function updateCounts(board) {
    board.querySelectorAll("[data-stage-id]").forEach(function (list) {
      var column = list.closest(".board__column");
      var count = column && column.querySelector("[data-count]");
      if (count) count.textContent = String(list.querySelectorAll("[data-deal-id]").length);
    });
  }

  function putBack(event) {
    var reference = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(event.item, reference);
  }

  function moveCard(board, event) {
    var card = event.item;
    if (event.from === event.to) return; // the order inside a stage is by time in stage
    var body = new FormData();
    body.append("stage", event.to.getAttribute("data-stage-id"));
    body.append("version", card.getAttribute("data-version"));
    card.classList.add("is-saving");
    board.setAttribute("data-pending", "1");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) {
            card.setAttribute("data-version", String(data.version));
            flash(data.message, "success");
          } else {
            putBack(event);
            flash(data.detail || board.getAttribute("data-error-text"), "error");
          }
        });
      })
      .catch(function () {
        putBack(event);
        flash(board.getAttribute("data-network-error-text"), "error");
      })
      .finally(function () {
        card.classList.remove("is-saving");
        board.removeAttribute("data-pending");
        updateCounts(board);
      });
  }

  function init() {
    var board = document.querySelector("[data-board]");
    if (!board || typeof window.Sortable === "undefined") return;
    board.querySelectorAll("[data-stage-id]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        draggable: "[data-deal-id]",
        // Cards the user may only look at stay put (the server would refuse them anyway).
        filter: ".is-saving, .deal-card--locked",
        preventOnFilter: false, // keep links and touch scrolling working on those cards
        animation: 150,
        // On phones a short press starts a drag, so the board still scrolls.
        delay: 200,
        delayOnTouchOnly: true,
        ghostClass: "deal-card--ghost",
        onEnd: function (event) { moveCard(board, event); }
      });
    });
    // Keyboard: Shift+→ / Shift+← on a focused card moves it one column over.
    board.addEventListener("keydown", function (event) {
      if (!event.shiftKey || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
      var card = event.target.closest("[data-deal-id][data-move-url]");
      if (!card || card.classList.contains("is-saving")) return;
      var lists = Array.prototype.slice.call(board.querySelectorAll("[data-stage-id]"));
      var from = card.parentElement;
      var to = lists[lists.indexOf(from) + (event.key === "ArrowRight" ? 1 : -1)];
      if (!to) return;
      event.preventDefault();
      var oldIndex = Array.prototype.indexOf.call(from.children, card);
      to.appendChild(card);
      event.target.focus();
      moveCard(board, { item: card, from: from, to: to, oldIndex: oldIndex });
    });
    board.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
