// OAuth 2.0 Form Post Response Mode: the page's one form carries the authorization response to the client's
// redirect URI; it is submitted as soon as the page has loaded (without JavaScript, its button does it).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("form-post").submit();
  });
})();
