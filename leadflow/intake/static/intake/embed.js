/*
 * Leadflow embedded web forms: part of the snippet a site pastes next to the
 * form's <iframe data-leadflow-form>. The form inside the frame cannot see the
 * page around it, so this passes on what marketing wants to know about the
 * visit: the host page's UTM parameters, the page the visitor came from
 * (document.referrer) and the page the form sits on (without its query
 * string or fragment, which may hold someone's private tokens).
 * Parameters the snippet's own src already names are kept.
 *
 * A visitor often lands on one page of the site (with the campaign's UTM
 * parameters, from another site) and fills in the form on another. The
 * landing page's parameters and the site that sent the visitor are kept for
 * the rest of the visit (sessionStorage: this tab, this site, until it is
 * closed), so the form on a later page still says where the visit came from.
 * Newer parameters replace older ones; arriving from another site again
 * starts a new visit.
 */
(function () {
  "use strict";

  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var VISIT_KEY = "leadflow-visit";

  function fromElsewhere(address) {
    try {
      return new URL(address).origin !== window.location.origin;
    } catch (error) {
      return false;
    }
  }

  function remembered() {
    try {
      return JSON.parse(window.sessionStorage.getItem(VISIT_KEY)) || {};
    } catch (error) {
      return {};  // storage blocked or unreadable: this page's own values only
    }
  }

  function remember(visit) {
    try {
      window.sessionStorage.setItem(VISIT_KEY, JSON.stringify(visit));
    } catch (error) {
      // Storage blocked: nothing is kept between pages.
    }
  }

  // This page's UTM parameters and the site that sent the visitor, or the
  // ones the visit brought on an earlier page.
  function visit() {
    var here = new URLSearchParams(window.location.search);
    var utm = {};
    UTM.forEach(function (name) {
      var value = here.get(name);
      if (value) {
        utm[name] = value.slice(0, 200);
      }
    });
    var tagged = Object.keys(utm).length > 0;
    var external = Boolean(document.referrer) && fromElsewhere(document.referrer);
    var earlier = external ? {} : remembered();  // arriving from another site starts a new visit
    var current = {
      utm: tagged ? utm : earlier.utm || {},
      ref: external ? document.referrer : earlier.ref || ""
    };
    if (tagged || external) {
      remember(current);
    }
    if (!current.ref) {
      current.ref = document.referrer;
    }
    return current;
  }

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
    var params = url.searchParams;
    var came = visit();
    Object.keys(came.utm).forEach(function (name) {
      if (UTM.indexOf(name) >= 0 && !params.has(name)) {
        params.set(name, String(came.utm[name]).slice(0, 200));
      }
    });
    if (came.ref && !params.has("ref")) {
      params.set("ref", came.ref.slice(0, 500));
    }
    if (!params.has("page")) {
      params.set("page", (window.location.origin + window.location.pathname).slice(0, 500));
    }
    if (url.toString() !== frame.src) {
      // A new frame with the new address in place of the old one: a frame told
      // a new src while its first address is still loading now and then stays
      // on the first one, and the visit's parameters are lost.
      var fresh = frame.cloneNode(false);
      fresh.setAttribute("src", url.toString());
      if (frame.parentNode) {
        frame.parentNode.replaceChild(fresh, frame);
      }
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
