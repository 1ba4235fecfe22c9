// Starts Swagger UI on /docs against this server's schema (a file, so the CSP allows it).
window.addEventListener("load", function () {
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
