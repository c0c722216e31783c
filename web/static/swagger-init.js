// Starts Swagger UI on the API's own description; a file of its own, as the pages'
// Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: holder.dataset.openapiUrl,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      showCommonExtensions: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
