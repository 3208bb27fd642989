/*
 * Leadflow embedded web forms: part of the snippet a site pastes next to the
 * form's <iframe data-leadflow-form>. The form inside the frame cannot see the
 * page around it, so this passes on what marketing wants to know about the
 * visit: the host page's UTM parameters, the page the visitor came from
 * (document.referrer) and the page the form sits on (without its query
 * string or fragment, which may hold someone's private tokens).
 * Parameters the snippet's own src already names are kept.
 */
(function () {
  "use strict";

  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function forward(frame) {
    if (frame.getAttribute("data-leadflow-forwarded")) {
      return;
    }
    frame.setAttribute("data-leadflow-forwarded", "1");
    var url;
    try {
      url = new URL(frame.getAttribute("src"), document.baseURI);
    } catch (error) {
      return;
    }
    var here = new URLSearchParams(window.location.search);
    var params = url.searchParams;
    UTM.forEach(function (name) {
      var value = here.get(name);
      if (value && !params.has(name)) {
        params.set(name, value.slice(0, 200));
      }
    });
    if (document.referrer && !params.has("ref")) {
      params.set("ref", document.referrer.slice(0, 500));
    }
    if (!params.has("page")) {
      params.set("page", (window.location.origin + window.location.pathname).slice(0, 500));
    }
    if (url.toString() !== frame.src) {
      frame.src = url.toString();
    }
  }

  function forwardAll() {
    var frames = document.querySelectorAll("iframe[data-leadflow-form]");
    Array.prototype.forEach.call(frames, forward);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", forwardAll);
  } else {
    forwardAll();
  }
})();
