// The Markdown editors' extras (templates: modules/editor.html, macros.html's editor()): a Write / Preview
// tab pair and an "Upload image" button over a field's textarea.
// - Preview posts the text to /editor/preview and shows the HTML the server made of it with the same
//   renderer a post gets (shared/markdown.py; already sanitised there), in place of the textarea.
// - Upload image posts the chosen file to /editor/upload and puts ![](url) where the cursor is.
// Loaded in the head of every signed-in page (base.html), so the pages' bodies stay the same in both flavours.
// Both are page requests like any form: the session cookie names the user and the form's own _xsrf
// field goes along (the JSON API reads no cookie). They answer as POST /api/v1/markdown and
// POST /api/v1/uploads do, or with their problem+json. Without JavaScript the bar stays hidden and
// the textarea is an ordinary field.
(function () {
  "use strict";
  if (window.forumEditors) {
    return;   // one copy of this script, however many editors the page has
  }
  window.forumEditors = true;

  function setUp(editor) {
    var textarea = document.getElementById(editor.getAttribute("data-for"));
    if (!textarea || !textarea.form || !window.fetch || !window.FormData) {
      return;
    }
    var field = textarea.closest(".field") || textarea;
    var preview = editor.querySelector(".editor-preview");
    var status = editor.querySelector(".editor-status");
    var tabs = editor.querySelectorAll(".editor-tab");
    var fileInput = editor.querySelector("input[type=file]");
    var words = editor.querySelector(".editor-words");

    function word(key) {
      var found = words && words.content.querySelector('[data-word="' + key + '"]');
      return found ? found.textContent : key;
    }

    function token() {
      var input = textarea.form.querySelector("input[name=_xsrf]");
      return input ? input.value : "";
    }

    function send(path, data) {
      data.append("_xsrf", token());
      return fetch(path, {method: "POST", body: data, credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            if (!response.ok) {
              throw new Error(body.detail || body.title || String(response.status));
            }
            return body;
          });
        });
    }

    function say(text) {
      status.textContent = text;
    }

    function show(which) {
      var previewing = which === "preview";
      tabs.forEach(function (tab) {
        tab.setAttribute("aria-pressed", String(tab.getAttribute("data-tab") === which));
      });
      field.hidden = previewing;
      preview.hidden = !previewing;
      if (!previewing) {
        textarea.focus();
        return;
      }
      if (!textarea.value.trim()) {
        preview.textContent = word("empty");
        return;
      }
      var data = new FormData();
      data.append("content", textarea.value);
      send(editor.getAttribute("data-preview"), data).then(function (answer) {
        preview.innerHTML = answer.html;   // sanitised by the server, as the published text will be
      }, function (error) {
        preview.textContent = word("failed") + " " + error.message;
      });
    }

    function insert(text) {
      var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
      var before = start > 0 && value.charAt(start - 1) !== "\n" ? "\n" : "";
      var piece = before + text + "\n";
      textarea.value = value.slice(0, start) + piece + value.slice(end);
      textarea.selectionStart = textarea.selectionEnd = start + piece.length;
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
    }

    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab.getAttribute("data-tab")); });
    });
    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file) {
        return;
      }
      var data = new FormData();
      data.append("file", file);
      say(word("uploading"));
      send(editor.getAttribute("data-upload"), data).then(function (image) {
        show("write");
        insert("![](" + image.url + ")");
        say(word("uploaded"));
      }, function (error) {
        say(word("failed") + " " + error.message);
      }).then(function () {
        fileInput.value = "";
      });
    });
    editor.hidden = false;
  }

  function start() {
    document.querySelectorAll(".editor[data-for]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
