// The login form: posts the credentials with the pre-login CSRF token, then opens the user's page.
"use strict";

document.getElementById("login-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  try {
    const result = await Desk.api("POST", "/api/login", {
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
    });
    window.location.assign(result.home);
  } catch (e) {
    error.textContent = e.message;
  }
});
