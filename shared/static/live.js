// Keeps the navigation bar's unread count live: the WebSocket /ws/notifications (authenticated by
// the login cookie) sends {"type": "unread_count", "count": N} on connect and on every change.
// Without it (no WebSocket, a server that does not offer it) the count simply updates on the next page.
(function () {
  "use strict";
  var badge = document.getElementById("unread-count");
  if (!badge || !window.WebSocket) {
    return;
  }
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + window.location.host + "/ws/notifications");
  socket.onmessage = function (event) {
    var message = JSON.parse(event.data);
    if (message.type === "unread_count") {
      badge.textContent = String(message.count);
    }
  };
})();
