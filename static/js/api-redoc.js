// Starts Redoc on the API's reference page (templates/api/redoc.html). Redoc writes its styles
// into <style> elements, which the content security policy lets in only with the page's nonce:
// the one this script tag carries, handed on to Redoc.
(function () {
  "use strict";
  var script = document.currentScript;
  window.Redoc.init(
    script.dataset.specUrl,
    { nonce: script.nonce },
    document.getElementById("redoc-container")
  );
})();
