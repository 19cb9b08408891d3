// Backend accessibility (loaded by templates/admin/base_site.html).
// A read-only inline table that scrolls sideways on a narrow screen holds nothing focusable, so a keyboard
// could not scroll it: such a region becomes a tab stop named after its heading.
"use strict";
(function () {
  function reachable() {
    document.querySelectorAll(".inline-group, #changelist-form .results").forEach(function (region) {
      var scrolls = region.scrollWidth > region.clientWidth || region.scrollHeight > region.clientHeight;
      var focusable = region.querySelector(
        "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]"
      );
      if (!scrolls || focusable || region.hasAttribute("tabindex")) {
        return;
      }
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      var heading = region.querySelector("h2");
      if (heading && heading.textContent.trim()) {
        region.setAttribute("aria-label", heading.textContent.trim());
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reachable);
  } else {
    reachable();
  }
  window.addEventListener("resize", reachable);
})();
