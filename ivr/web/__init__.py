"""The agent desktop: an aiohttp web app with login, a WebSocket per browser, screen-pop and views."""
