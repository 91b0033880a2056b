// The live parts of a page, over the WebSocket /ws/notifications (authenticated by the login cookie):
// - the navigation bar's unread count ({"type": "unread_count", "count": N} on connect and on change);
// - a small toast for each new notification;
// - on a post or a question, new comments or answers appear without a reload: the page's thread
//   section says what to watch (data-watch="post_id" data-id="12"), the socket sends
//   {"type": "watch", "post_id": 12} and then gets {"type": "comment", "post_id": 12, "comment": {...}}.
// Everything here is extra: without JavaScript (or a socket) the same page works, and the next page
// load shows what arrived. The script's data-port names the notifier's port when the page's own
// server holds no sockets (gunicorn and uWSGI without nginx).
(function () {
  "use strict";
  var badge = document.getElementById("unread-count");
  if (!badge || !window.WebSocket) {
    return;
  }
  var port = document.currentScript && document.currentScript.getAttribute("data-port");
  var thread = document.querySelector("[data-watch]");
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var host = port ? window.location.hostname + ":" + port : window.location.host;
  if (host.indexOf(":") !== host.lastIndexOf(":")) {   // an IPv6 address: [::1]:port
    host = port ? "[" + window.location.hostname.replace(/^\[|\]$/g, "") + "]:" + port : host;
  }
  var socket = new WebSocket(scheme + host + "/ws/notifications");
  var words = document.getElementById("live-words");   // the page's words, in its language

  function word(key, otherwise) {
    var found = words && words.content.querySelector('[data-word="' + key + '"]');
    return found ? found.textContent : otherwise;
  }

  socket.onopen = function () {
    if (thread) {
      var watch = {type: "watch"};
      watch[thread.getAttribute("data-watch")] = Number(thread.getAttribute("data-id"));
      socket.send(JSON.stringify(watch));
    }
  };
  socket.onmessage = function (event) {
    var message = JSON.parse(event.data);
    if (message.type === "unread_count") {
      badge.textContent = String(message.count);
    } else if (message.type === "notification") {
      toast(message.notification);
    } else if (message.type === "comment" || message.type === "answer") {
      insert(message.type, message[message.type]);
    }
  };

  // The avatar and the linked name, as shared.pages.user_badge writes them.
  function userLink(user) {
    var badge = document.createDocumentFragment();
    var avatar = document.createElement(user.avatar_url ? "img" : "span");
    avatar.className = user.avatar_url ? "avatar" : "avatar none";
    if (user.avatar_url) {
      avatar.src = user.avatar_url;
      avatar.alt = "";
    } else {
      avatar.setAttribute("aria-hidden", "true");
      avatar.textContent = user.username.charAt(0).toUpperCase();
    }
    badge.appendChild(avatar);
    var link = document.createElement("a");
    link.className = "user";
    link.href = "/users/" + user.id;
    link.textContent = user.username;
    badge.appendChild(link);
    return badge;
  }

  // The item as the server renders it (templates/modules/item.html), without the like button and
  // the reply form: those need the page's form token, so they come with the next load.
  function insert(kind, item) {
    if (!thread || document.getElementById(kind + "-" + item.id)) {
      return;   // not this page's thread, or already shown (the author's own, after the redirect)
    }
    var article = document.createElement("article");
    article.className = "item live" + (item.parent_id ? " reply" : "");
    article.id = kind + "-" + item.id;
    var meta = document.createElement("p");
    meta.className = "meta";
    meta.appendChild(userLink(item.author));
    if (item.reply_to) {
      meta.appendChild(document.createTextNode(" → "));
      meta.appendChild(userLink(item.reply_to));
    }
    meta.appendChild(document.createTextNode(" · "));
    var time = document.createElement("time");
    time.setAttribute("datetime", item.created_at);
    time.textContent = word("just_now", item.created_at.slice(0, 10));
    meta.appendChild(time);
    article.appendChild(meta);
    var content = document.createElement("div");
    content.className = "content";
    content.innerHTML = item.content_html;   // Markdown the server rendered and sanitised (nh3)
    article.appendChild(content);
    if (item.parent_id) {
      var parent = document.getElementById(kind + "-" + item.parent_id);
      var under = parent && parent.querySelector(".replies");
      if (under) {
        under.appendChild(article);
      }
      return;
    }
    if (thread.querySelector(".pager")) {
      return;   // older pages follow this one: the new item belongs on the last of them
    }
    var replies = document.createElement("div");
    replies.className = "replies";
    article.appendChild(replies);
    var items = thread.querySelectorAll(":scope > article.item");
    var after = items.length ? items[items.length - 1] : thread.querySelector("h2");
    after.parentNode.insertBefore(article, after.nextSibling);
  }

  function toast(note) {
    var box = document.createElement("a");
    box.className = "toast";
    box.setAttribute("role", "status");
    box.href = "/notifications";
    box.textContent = (note.actor ? note.actor.username + ": " : "") + word(note.kind, note.kind) +
      (note.excerpt ? " · " + note.excerpt : "");
    document.body.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 6000);
  }
})();
